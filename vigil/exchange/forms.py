from __future__ import annotations

from django import forms

from vigil.exchange.models import Partner


class PartnerForm(forms.ModelForm):
    sync_url = forms.URLField(
        label="Sync address",
        required=False,
        assume_scheme="https",
        help_text="Where the partner's Vigil answers (for pulling from it).",
    )

    class Meta:
        model = Partner
        fields = Partner.EDITABLE_FIELDS
        widgets = {
            "contacts": forms.Textarea(attrs={"rows": 3}),
            "signing_key": forms.TextInput(attrs={"size": 60}),
            "age_recipient": forms.TextInput(attrs={"size": 70}),
        }
        labels = {"may_receive": "May receive", "sends": "Sends us"}


class StatusForm(forms.Form):
    verb = forms.ChoiceField(choices=[("approve", "Approve"), ("suspend", "Suspend")])
    reason = forms.CharField(max_length=300, required=False)


class TokenForm(forms.Form):
    label = forms.CharField(max_length=100, required=False)
    days = forms.IntegerField(min_value=1, max_value=366, initial=90)


class SyncForm(forms.Form):
    sync_url = forms.URLField(
        label="Partner's Vigil address", required=False, assume_scheme="https"
    )
    token = forms.CharField(
        label="Token the partner issued us", required=False, widget=forms.PasswordInput
    )


class ImportForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.approved(), to_field_name="name")
    file = forms.FileField(label="VICS JSON file")


class ExportForm(forms.Form):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.approved(),
        to_field_name="name",
        required=False,
        help_text="Leave empty for a file for the unit's own tools.",
    )
    version = forms.ChoiceField(choices=[("2.0", "VICS 2.0"), ("1.3", "VICS 1.3")], initial="2.0")
    since = forms.DateField(required=False, help_text="Only records changed since (YYYY-MM-DD).")


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("ours", "Keep ours"), ("theirs", "Take the partner's")])
    reason = forms.CharField(max_length=300, required=False)

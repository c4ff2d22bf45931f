from __future__ import annotations

from django import forms

from vigil.referrals.models import Office, SharePackage


class ReferralForm(forms.Form):
    office = forms.ModelChoiceField(
        queryset=Office.objects.active(), label="Refer to", empty_label="Choose…"
    )
    scope = forms.ChoiceField(
        choices=[("tip", "This tip"), ("cluster", "The tip's whole cluster")], initial="tip"
    )
    receiving_case_number = forms.CharField(
        max_length=100, required=False, label="Receiving case number (optional; add it later)"
    )
    acknowledge_by = forms.DateField(
        required=False,
        label="Acknowledgement due",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: set when sent, from the default.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    elsewhere_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Reason for another office",
        help_text="Required when related tips in the cluster went to another office.",
    )


class ReferralEditForm(forms.Form):
    receiving_case_number = forms.CharField(max_length=100, required=False)
    acknowledge_by = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class OfficeForm(forms.Form):
    code = forms.CharField(max_length=40)
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Office.Kind.choices)
    areas = forms.CharField(
        required=False,
        help_text="Separated by ';': US-NJ, US-NY:Kings (a county), PR, DE (a country).",
        widget=forms.TextInput(attrs={"size": 60}),
    )
    contact_name = forms.CharField(max_length=200, required=False)
    contact_email = forms.CharField(max_length=254, required=False, label="Contact e-mail")
    contact_phone = forms.CharField(max_length=40, required=False)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    age_recipient = forms.CharField(
        max_length=200, required=False, label="age public key", help_text="age1… (for shares)"
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    active = forms.BooleanField(required=False, initial=True)


class ShareForm(forms.Form):
    office = forms.ModelChoiceField(
        queryset=Office.objects.active().exclude(kind__in=list(Office.INTERNAL_KINDS)),
        label="Share with",
        empty_label="Choose an outside agency…",
    )
    kind = forms.ChoiceField(choices=SharePackage.Kind.choices, label="What")
    method = forms.ChoiceField(choices=SharePackage.Method.choices, label="Encryption")
    purpose = forms.CharField(
        max_length=500, label="Purpose", help_text="Recorded in the accounting of disclosures."
    )

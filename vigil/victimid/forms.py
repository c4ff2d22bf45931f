from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from vigil.victimid import vocabulary
from vigil.victimid.matching import MAX_THRESHOLD
from vigil.victimid.models import Series


class SeriesForm(forms.ModelForm):
    class Meta:
        model = Series
        fields = Series.EDITABLE_FIELDS
        labels = {
            "contact_investigator": "Investigator to contact",
            "victim_age_range": "Victim age range (identified victims)",
            "relationship_to_offender": "Relationship to offender (identified victims)",
            "year_of_production": "Year of production (identified victims)",
            "relationship_other": "Relationship, as the partner wrote it (when Other)",
            "origin": "Origin: real child or generated",
            "origin_established_by": "Origin established by",
            "origin_method": "How the origin was established",
            "origin_established_on": "Origin established on",
        }
        help_texts = {"victim_age_range": "e.g. 8-10, 12 to 14, 12+, under 5, 7, or unknown"}
        widgets = {"origin_established_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin"].required = False

    def clean_origin(self):
        return self.cleaned_data.get("origin") or "unknown"

    def clean(self):
        data = super().clean()
        try:
            normalised = vocabulary.normalise(
                {k: data[k] for k in ("victim_age_range", "relationship_to_offender") if k in data},
                strict=True,
            ).data
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name, messages)
            return data
        if "victim_age_range" in normalised:
            data["victim_age_range"] = normalised["victim_age_range"]
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class MediaUploadForm(forms.Form):
    files = MultipleFileField(label="Photos or videos")


class MatchRequestForm(forms.Form):
    requesting_agency = forms.CharField(max_length=200)
    case_number = forms.CharField(max_length=100)
    files = MultipleFileField(
        label="Files",
        required=False,
        help_text="Up to 100 files per upload (a folder too); send a ZIP archive for more.",
    )
    folder = MultipleFileField(
        label="or a folder",
        required=False,
        widget=MultipleFileInput(attrs={"webkitdirectory": True, "directory": True}),
    )
    archive = forms.FileField(label="or a ZIP archive", required=False)
    hash_list = forms.FileField(
        label="or a hash list (CSV with md5/sha1/sha256/pdq columns, or VICS JSON)",
        required=False,
    )
    threshold = forms.IntegerField(
        min_value=0,
        max_value=MAX_THRESHOLD,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": "31"}),
        help_text="PDQ distance at or below which two images match (default 31).",
    )
    # On by default for agencies' requests (a mirrored or rotated copy is common in
    # seized collections); the CLI tries them only with --dihedral.
    dihedral = forms.BooleanField(
        required=False, initial=True, label="Also try the 8 rotations and flips of each image"
    )

    def clean(self):
        data = super().clean()
        given = [k for k in ("files", "folder", "archive", "hash_list") if data.get(k)]
        if not given:
            raise forms.ValidationError("Send files, a folder, a ZIP archive or a hash list.")
        if len(given) > 1:
            raise forms.ValidationError(
                "Send one kind of input per request: files, a folder, a ZIP archive or a hash list."
            )
        return data

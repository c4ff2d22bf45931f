from __future__ import annotations

from django import forms

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
        }


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
    dihedral = forms.BooleanField(
        required=False, label="Also try the 8 rotations and flips of each image"
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

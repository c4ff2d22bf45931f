"""Validation of the web forms that have no API twin (the tip edit page uses the API's serializer)."""

from __future__ import annotations

from django import forms

from vigil.tips.models import Source

MAX_SOURCE_TEXT = 2000


class SourceForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Source.Kind.choices, initial=Source.Kind.OTHER)
    country = forms.CharField(max_length=2, required=False)
    reliability = forms.ChoiceField(
        choices=Source.Reliability.choices, initial=Source.Reliability.RELIABLE
    )
    reliability_note = forms.CharField(max_length=MAX_SOURCE_TEXT, required=False)
    contact = forms.CharField(max_length=MAX_SOURCE_TEXT, required=False)
    active = forms.BooleanField(required=False)


def error_lines(errors: dict) -> list[str]:
    """Form or serializer errors as 'field: message' lines for the page."""
    lines = []
    for field, messages in errors.items():
        for m in messages if isinstance(messages, list | tuple) else [messages]:
            lines.append(str(m) if field in ("__all__", "non_field_errors") else f"{field}: {m}")
    return lines

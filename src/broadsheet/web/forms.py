"""Forms of the reader-facing pages that are not account forms (those are readers/forms.py)."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms

from broadsheet.curation import briefing

# Old aliases and system folders: the IANA Area/City names cover every place.
_LEFT_OUT = ("Etc/", "SystemV/", "US/", "posix/", "right/", "Canada/", "Brazil/", "Chile/",
             "Mexico/")


@cache
def time_zone_choices() -> tuple[tuple[str, str], ...]:
    names = sorted(name for name in zoneinfo.available_timezones()
                   if "/" in name and not name.startswith(_LEFT_OUT))
    return (("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names))


class BriefingForm(forms.Form):
    """The daily briefing on the account page: on or off, the local hour, the time zone."""

    enabled = forms.BooleanField(label="Email me a daily briefing", required=False)
    hour = forms.TypedChoiceField(
        label="Send it at", coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text="Your local time; it may arrive a few minutes after the hour.")
    time_zone = forms.ChoiceField(label="Time zone", choices=())

    def __init__(self, *args, current: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = list(time_zone_choices())
        given = self.data.get("time_zone", "") if self.is_bound else current
        for name in {current, given}:  # a valid zone the list leaves out stays choosable
            if name and briefing.zone_named(name) and name not in dict(choices):
                choices.insert(1, (name, name.replace("_", " ")))
        zones = self.fields["time_zone"]
        assert isinstance(zones, forms.ChoiceField)  # declared as one above
        zones.choices = choices

    @classmethod
    def of(cls, user) -> BriefingForm:
        """The form showing the reader's settings (or the defaults when they never chose)."""
        chosen = briefing.preferences(user)
        form = cls(initial={"enabled": chosen.enabled, "hour": chosen.hour,
                            "time_zone": chosen.time_zone}, current=chosen.time_zone)
        if chosen.pk is None:  # never chosen: the page offers the browser's zone (briefing.js)
            form.fields["time_zone"].widget.attrs["data-browser-time-zone"] = ""
        return form

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        try:
            return briefing.check_zone(name)
        except briefing.BriefingError as error:
            raise forms.ValidationError(error.message, code="time_zone") from error

"""Input rules shared by the event contract and the HTTP APIs, written once."""

from __future__ import annotations

# An e-mail address as the office accepts it: something, "@", a domain with a dot; no spaces.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

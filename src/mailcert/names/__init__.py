"""Pure name checking: presented identifiers, client profiles, verdicts.  No network here."""

from mailcert.names.identifiers import PresentedIdentifiers, SanEntry
from mailcert.names.matcher import NameVerdict, check_name, verdicts_for
from mailcert.names.profiles import PROFILES, ClientProfile

__all__ = ["PROFILES", "ClientProfile", "NameVerdict", "PresentedIdentifiers", "SanEntry", "check_name", "verdicts_for"]

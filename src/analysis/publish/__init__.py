"""Publication safety and disclosure control (发布安全与披露控制).

One import for every report: ``from analysis import publish as pb``.

- :mod:`.core`: the key, keyed pseudonyms, primary suppression, :func:`safe_table`, safe
  CSV/XLSX/HTML exports.
- :mod:`.boundary`: :func:`publish_inputs`, the one place where a publish-mode run replaces
  real identifiers by pseudonyms, before anything is made from the data.
- :mod:`.kanon`: quasi-identifiers: :func:`smallest_group`, :func:`k_anonymise`.
- :mod:`.cells`: secondary cell suppression against recovery from margins
  (:func:`suppress_cells`, :func:`feasible_intervals`) and suppressed bars in figures.
- :mod:`.scan`: :func:`forbidden_strings` and :func:`scan_artifacts`, the check that a folder
  about to be published holds no real code, name or description.
"""
from .core import (DEFAULT_KEY_PATH, FORMULA_START, FREE_TEXT_COLUMNS, KEY_ENV, NAME_COLUMNS, PERSON_COLUMNS,
                   PREFIX, PSEUDONYM_RE, resolve_key, escape_html, html_table, key_path, load_or_create_key,
                   neutralise_formulas, pseudonym, pseudonym_map, pseudonymise, pseudonymise_tables, safe_table,
                   suppress_small, suppression_note)
from .scan import (AUDIT_FOLDERS, PUBLISHABLE_SUFFIXES, find_token, forbidden_strings, png_text,
                   scan_artifacts, unpublishable_files)
from .boundary import (OTHER_REGION, PROBLEM_PREFIX, REDACTED, DisclosureLog, IdentifierRewriter,
                       problem_pseudonym_map, publish_inputs)

__all__ = [
    "DEFAULT_KEY_PATH", "FORMULA_START", "FREE_TEXT_COLUMNS", "KEY_ENV", "NAME_COLUMNS", "PERSON_COLUMNS", "PREFIX",
    "PSEUDONYM_RE", "resolve_key", "escape_html", "html_table", "key_path", "load_or_create_key", "neutralise_formulas",
    "pseudonym", "pseudonym_map", "pseudonymise", "pseudonymise_tables", "safe_table", "suppress_small",
    "suppression_note", "AUDIT_FOLDERS", "PUBLISHABLE_SUFFIXES", "unpublishable_files", "find_token", "forbidden_strings", "png_text", "scan_artifacts", "OTHER_REGION",
    "PROBLEM_PREFIX", "REDACTED", "DisclosureLog", "IdentifierRewriter", "problem_pseudonym_map", "publish_inputs",
]
from .kanon import QUASI_IDENTIFIERS, SIZE_COLUMNS, k_anonymise, smallest_group

__all__ += ["QUASI_IDENTIFIERS", "SIZE_COLUMNS", "k_anonymise", "smallest_group"]
from .cells import MARKER, SuppressedTable, feasible_intervals, mark_suppressed_bars, suppress_cells

__all__ += ["MARKER", "SuppressedTable", "feasible_intervals", "mark_suppressed_bars", "suppress_cells"]

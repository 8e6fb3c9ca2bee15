"""Every public function of the statistics modules below shows its number in an ``Examples``
doctest (issue 10, item 5: the docstring proves the number against the established peer).

The doctests themselves run with ``pytest --doctest-modules``; this test fails when a public
function is added to one of these modules without an example.
"""
import importlib
import inspect

import pytest

MODULES = [
    "analysis.frames", "analysis.regions", "analysis.yearly", "analysis.dynamics",
    "analysis.scoring.weights", "analysis.scoring.normalise", "analysis.scoring.aggregate",
    "analysis.scoring.coherence", "analysis.scoring.grades",
]
# configuration and packaging, not statistics: nothing to compare with a peer
NOT_STATISTICAL = {
    "analysis.frames": {"as_list", "check_columns", "join_reasons"},  # shown in the module docstring
    "analysis.scoring.coherence": {"validate_coherence", "coherence_report"},
}


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_have_examples(name):
    mod = importlib.import_module(name)
    missing = [n for n, f in vars(mod).items()
               if inspect.isfunction(f) and f.__module__ == name and not n.startswith("_")
               and n not in NOT_STATISTICAL.get(name, set()) and ">>>" not in (f.__doc__ or "")]
    assert missing == [], f"{name}: public functions without an example: {missing}"


def test_frames_module_docstring_has_example():
    assert ">>>" in importlib.import_module("analysis.frames").__doc__

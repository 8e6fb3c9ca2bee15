"""The first cell of every report notebook: the run config, the shared inputs, the title block.

A notebook receives two parameters from ``analysis run``: ``config`` (the effective run config
as data, :meth:`analysis.config.RunConfig.to_dict`) and ``inputs`` (the file the run's inputs
stage wrote). Opened by hand in JupyterLab both are empty: the config is read from
``data/config/run.yaml`` and the inputs are computed from the warehouse, with the same
functions the run uses.
"""
from __future__ import annotations

from . import __version__, catalog
from .config import RunConfig


def open_report(notebook: str, *, year: int, config: dict | None = None, inputs: str = "", warehouse: str = "",
                title: tuple[str, str] | None = None, notice: str = "", period: str = "Y"):
    """Theme, config, inputs and the title block of one report.

    Returns ``(report, inputs, config)``: an :class:`analysis.report.Report` in the config's
    language and publication mode, the run's :class:`analysis.inputs.Inputs`, and the
    :class:`RunConfig`. ``title`` (中文, English) defaults to the config's title of
    ``notebook``; ``notice`` (a bilingual warning from the run, e.g. low coverage) is shown
    first on the page.
    """
    import hashlib
    import json

    from . import plots
    from .framework import labels
    from .inputs import prepare_inputs
    from .report import Report

    cfg = RunConfig.from_dict(config) if config else catalog.read_run_config()
    plots.set_theme()
    from .periods import Period

    data = catalog.load_inputs(inputs) if inputs else prepare_inputs(
        catalog.read_warehouse(warehouse or None), cfg, period_kind=period[0] if period != "Y" else "Y")
    if cfg.publish and not data.publish:  # opened by hand: the same boundary as the run's
        from .inputs import publishable
        from .publish import load_or_create_key

        data = publishable(data, load_or_create_key(), k=cfg.publication.k, lang=cfg.lang)[0]
    rp = Report(lang=cfg.lang, notebook=notebook, publish=cfg.publish, k=cfg.publication.k)
    heading = rp.t(*title) if title else cfg.title(notebook)
    if period != "Y":
        heading = f"{heading} · {Period.parse(period, year=year).label(cfg.lang)}"
    rp.add_labels(labels(data.framework, cfg.lang))
    config_hash = hashlib.sha256(json.dumps(cfg.to_dict() | {"notebooks_dir": "", "config_path": "", "scoring_config": ""},
                                            sort_keys=True, default=str).encode()).hexdigest()[:12]
    rp.title(heading, year=year, data_as_of=data.data_as_of, authors=cfg.report.authors,
             partners=cfg.report.partners, version=str(cfg.report.version),
             software_version=__version__, data_version=data.warehouse_hash[:12], config_hash=config_hash)
    if notice:
        rp.note(rp.pick(notice), kind="warning")
    if data.disclosure:
        rp.note(" ".join(data.disclosure), kind="coverage", title=rp.t("发布版的数据保护", "Disclosure control of this edition"))
    rp.key("inputs_id", data.run_id)
    rp.key("inputs_source", "shared" if inputs else "computed")
    return rp, data, cfg

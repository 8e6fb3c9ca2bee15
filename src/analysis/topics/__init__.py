"""Topical research reports (专题调研报告) and research packages for partners.

A *topic* is a small YAML file (``data/topics/*.yaml``): title, research question, partner
institutions and authors, the dimensions, leaves, units, regions, years and problem
categories in scope, and the free-text sections the authors write (background, conclusions,
recommendations). :func:`load_topic` validates it and reports every problem at once, in
Chinese and English.

Data flow (the same in a report and in a package, so a package reruns to identical tables)::

    inputs stage ──prepare_topic_data──▶ TopicData (the data subset: units, problems, scores,
                                         leaf values, keyword counts; pseudonymised at the source
                                         when publishing; descriptions dropped)
    TopicData ──topic_tables───────────▶ {name: table}   (every table through publish.safe_table)

The package is split at those seams: :mod:`.definition` (the topic file), :mod:`.subset` (the
data subset), :mod:`.tables` (the tables), :mod:`.display` (what the notebook shows) and
:mod:`.run` (running the notebook and writing a research package: the only file I/O).
"""
from .definition import ALL_CATEGORIES, Topic, check_scope, citation, load_topic, validate_topic
from .display import (COLUMN_LABELS_ZH, data_note, display_columns, methods_text, paragraphs, problems_figure,
                      scores_figure, show_table, show_tables, show_text, title_block)
from .run import NOTEBOOK, load_warehouse_tables, notebook_data, notebook_parameters, package, run_topic
from .subset import SCHEMA, TopicData, coerce_table, prepare_topic_data, tables_from_inputs
from .tables import TABLE_TITLES, topic_tables

__all__ = [
    "ALL_CATEGORIES", "COLUMN_LABELS_ZH", "coerce_table", "NOTEBOOK", "SCHEMA", "TABLE_TITLES", "Topic", "TopicData", "check_scope",
    "citation", "data_note", "display_columns", "load_topic", "load_warehouse_tables", "methods_text", "notebook_data",
    "notebook_parameters", "package", "paragraphs", "prepare_topic_data", "problems_figure", "run_topic",
    "scores_figure", "show_table", "show_tables", "show_text", "title_block", "tables_from_inputs", "topic_tables", "validate_topic",
]

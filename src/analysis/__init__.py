"""Political ecology analysis and assessment (政治生态分析研判).

Modules, one per question a researcher asks:

- ``framework``  the indicator framework (指标体系): tree, directions, weights, versions
- ``warehouse``  the DuckDB store and its schema version
- ``ingest``     validated loading of CSV / XLSX / Parquet into the warehouse
- ``sample``     the synthetic sample city (fictional, labelled synthetic)
- ``scoring``    composite index, grades, attribution, uncertainty
- ``yearly``     yearly indicator statistics
- ``regions``    regional comparison, disparity, convergence
- ``trends``     trend significance (Mann–Kendall family, Sen's slope, change points)
- ``problems``   problem-list (问题清单) analytics
- ``plots``, ``report``, ``runner``  figures, HTML reports, the papermill run
"""

__version__ = "0.1.0"

COPY focal_units FROM 'exp/focal_units.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('unit_id', 'year'), quote '"', delimiter ',', header 1);
COPY framework FROM 'exp/framework.csv' (FORMAT 'csv', allow_quoted_nulls false, quote '"', delimiter ',', header 1);
COPY framework_versions FROM 'exp/framework_versions.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'hash', quote '"', delimiter ',', header 1);
COPY meta FROM 'exp/meta.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'key', quote '"', delimiter ',', header 1);
COPY observations FROM 'exp/observations.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('unit_id', 'year', 'period', 'indicator', 'value'), quote '"', delimiter ',', header 1);
COPY observation_history FROM 'exp/observation_history.csv' (FORMAT 'csv', allow_quoted_nulls false, quote '"', delimiter ',', header 1);
COPY problems FROM 'exp/problems.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null ('unit_id', 'year', 'problem_id'), quote '"', delimiter ',', header 1);
COPY provenance FROM 'exp/provenance.csv' (FORMAT 'csv', allow_quoted_nulls false, quote '"', delimiter ',', header 1);
COPY units FROM 'exp/units.csv' (FORMAT 'csv', allow_quoted_nulls false, force_not_null 'unit_id', quote '"', delimiter ',', header 1);

CREATE TABLE focal_units(unit_id VARCHAR, "year" INTEGER, reason VARCHAR, PRIMARY KEY(unit_id, "year"));
CREATE TABLE framework(code VARCHAR, parent VARCHAR, "level" DOUBLE, name_zh VARCHAR, name_en VARCHAR, weight DOUBLE, "role" VARCHAR, direction VARCHAR, "target" DOUBLE, unit VARCHAR, denominator VARCHAR, per DOUBLE, year_agg VARCHAR, frequency VARCHAR, lead_department VARCHAR, valid_min DOUBLE, valid_max DOUBLE, valid_from DOUBLE, valid_to DOUBLE, definition VARCHAR);
CREATE TABLE framework_versions(hash VARCHAR PRIMARY KEY, "source" VARCHAR, recorded_at TIMESTAMP, first_year INTEGER, last_year INTEGER);
CREATE TABLE meta("key" VARCHAR PRIMARY KEY, "value" VARCHAR);
CREATE TABLE observations(unit_id VARCHAR, "year" INTEGER, period VARCHAR, indicator VARCHAR, "value" DOUBLE NOT NULL, "source" VARCHAR, note VARCHAR, PRIMARY KEY(unit_id, "year", period, indicator));
CREATE TABLE observation_history(unit_id VARCHAR, "year" INTEGER, period VARCHAR, indicator VARCHAR, "value" DOUBLE, "source" VARCHAR, note VARCHAR, replaced_at TIMESTAMP, replaced_by VARCHAR);
CREATE TABLE problems(problem_id VARCHAR PRIMARY KEY, unit_id VARCHAR NOT NULL, "year" INTEGER NOT NULL, "source" VARCHAR, aspect VARCHAR, category VARCHAR, description VARCHAR, severity VARCHAR, status VARCHAR, deadline DATE, rectified_on DATE, kept BOOLEAN, fed_back BOOLEAN);
CREATE TABLE provenance(file VARCHAR, sha256 VARCHAR, table_name VARCHAR, "rows" INTEGER, loaded_at TIMESTAMP, command VARCHAR);
CREATE TABLE units(unit_id VARCHAR NOT NULL, name_zh VARCHAR, name_en VARCHAR, "type" VARCHAR, region VARCHAR, staff DOUBLE, party_members DOUBLE, residents DOUBLE, valid_from INTEGER, valid_to INTEGER, successor_id VARCHAR);


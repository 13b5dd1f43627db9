#!/bin/sh
# One database and one role per service: a service can reach its own data and nobody else's.
set -eu
for service in inventory sales notifications reporting identity; do
  password_var="$(echo "$service" | tr a-z A-Z)_DB_PASSWORD"
  password="$(printenv "$password_var")"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE $service LOGIN PASSWORD '$password';
CREATE DATABASE $service OWNER $service;
REVOKE ALL ON DATABASE $service FROM PUBLIC;
SQL
done

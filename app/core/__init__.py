"""What every domain uses: settings, the database and its unit of work, problems, OpenAPI
adjustments and observability. Nothing here imports a domain."""

"""Server-rendered web app: Jinja2 templates and htmx fragments over the services."""

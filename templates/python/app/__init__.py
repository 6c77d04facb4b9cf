{% include "python/_partials/header.py" %}
"""The {{ project.distribution }} backend."""

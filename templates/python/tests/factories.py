{% include "python/_partials/header.py" %}
"""Valid rows created through the API, parents first."""

{{ project.factories }}

"""One module per graph node; `common` holds what the action nodes share."""

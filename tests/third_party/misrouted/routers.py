class ByOwnAppLabel:
    """The naive app-label router: a proxy goes where its own app goes, not where its table is."""

    def db_for_read(self, model, **hints):
        return "catalog" if model._meta.app_label == "misrouted" else None

    db_for_write = db_for_read

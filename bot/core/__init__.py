"""The domain: documents, briefs, search, calendar and answers. Nothing here imports discord."""

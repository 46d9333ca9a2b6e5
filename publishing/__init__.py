"""Governments publishing their data: a publisher's uploads, versions, links and catalogue record.

The third floor of Kiemen (``cli > portal > publishing > loaders > core``): it builds on the
loaders and the core, knows nothing of the web, and the portal's views (:mod:`portal.views.publish`)
and the ``kiemen publishers`` command ask it. One function per use case, in
:mod:`publishing.usecases`; the modules below them:

- :mod:`publishing.template` — the upload template: tables, columns, reading CSV/Excel, cell rules;
- :mod:`publishing.records` — rows (or RDF subjects) as records in the project's model;
- :mod:`publishing.checks` — the shapes over those records, problems in the template's terms,
  the report;
- :mod:`publishing.diff`, :mod:`publishing.pending` — what an upload would add, change and
  remove; uploads waiting for the publisher's confirmation;
- :mod:`publishing.uploads` — checking and publishing an upload (CSV/Excel or RDF);
- :mod:`publishing.versions` — numbered versions, the audit log, rollback;
- :mod:`publishing.linking` — link suggestions and confirmed links;
- :mod:`publishing.catalogue` — the publisher's DCAT record, an index hook;
- :mod:`publishing.publishers`, :mod:`publishing.licensing` — the register of publishers and
  the licence each chose.
"""

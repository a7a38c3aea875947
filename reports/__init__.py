"""Presentation of the weekly release-health report.

Of the rest of the project it imports only :mod:`assets.weeks` (standard library only), whose
``YYYY-Www`` rule every week folder and week link is checked against.

* :mod:`reports.model` — the dataclasses the warehouse side fills (the contract).
* :mod:`reports.render` — ``render_weekly`` / ``render_archive``: HTML strings.
* :mod:`reports.publish` — ``publish_weekly`` / ``publish_archive``: files on disk.
* :mod:`reports.png_export` — ``export_pngs``: optional static images via kaleido.
* :mod:`reports.charts`, :mod:`reports.environment_charts` — one function per figure.
* :mod:`reports.theme` — every colour, font and size.

This package ``__init__`` stays import-free so reading the model stays cheap.
"""

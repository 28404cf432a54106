-- Heliograph schema 9 (PostgreSQL): an HTTP MO route's callback format, as in
-- SQLite's schema 10. "json" is the REST API's signed event; a dialect's name
-- ("ozeki", "smsc", "mxtelecom", "kannel", optionally "name:params") has the MO
-- delivered in that dialect's own request, rendered by "<name>-mo".
ALTER TABLE mo_routes ADD COLUMN format TEXT NOT NULL DEFAULT 'json';

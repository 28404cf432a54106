-- Heliograph schema 10 (SQLite): an HTTP MO route's callback format. "json" is
-- the REST API's signed event; a dialect's name ("ozeki", "smsc", "mxtelecom",
-- "kannel", optionally "name:params") has the MO delivered in that dialect's
-- own request, rendered by the callback renderer registered as "<name>-mo".
ALTER TABLE mo_routes ADD COLUMN format TEXT NOT NULL DEFAULT 'json';

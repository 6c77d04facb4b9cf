//! The OpenAPI 3.1 description of every route, built from one table ([`ROUTES`]) that
//! the router test checks against, and the `/docs` page rendered from it (plain HTML,
//! no scripts, so it works offline and under a strict CSP).

use std::fmt::Write;

use serde_json::{Value, json};

/// One route as documented.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Status codes and what each means.
    pub responses: &'static [(&'static str, &'static str)],
    pub body: Option<&'static str>,
    /// Whether the route may need a key or token (configurable).
    pub may_need_auth: bool,
    /// Query parameters: name, type (`boolean`), description.
    pub query: &'static [(&'static str, &'static str, &'static str)],
}

/// Every route the daemon serves.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "post",
        path: "/api/v1/validate",
        summary: "Validate a schema document; the body of the answer is `backbone validate --format json`'s.",
        responses: &[
            ("200", "The diagnostics (valid or not)"),
            ("401", "Missing or invalid credentials"),
            ("413", "Body over the request size limit"),
            ("422", "Not a schema document, or over a schema limit (diagnostics say which)"),
            ("429", "Rate limited"),
            ("503", "Compile queue full"),
        ],
        body: Some("application/json"),
        may_need_auth: true,
        query: &[],
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/generate",
        summary: "Generate the Python backend: a zip archive, or `{\"files\":[{\"path\",\"content\"}]}` with `Accept: application/json`. \
            With `?refine=true` the server's LLM refines the model first (descriptions, checked constraints, examples, indexes, advice): \
            the accepted refinement is `.backbone/refinements.json` among the files, the JSON form adds \
            `\"refinement\": {\"accepted\", \"rejected\": [{\"at\", \"subject\", \"message\"}], \"usage\"}`, and both forms carry the \
            `X-Backbone-Refine-Rejected` and `X-Backbone-Refine-Advice` counts. Refine requests count against the generation rate limits.",
        responses: &[
            ("200", "The generated project"),
            ("400", "`refine` is not true or false"),
            ("401", "Missing or invalid credentials"),
            ("413", "Body over the request size limit"),
            (
                "422",
                "Invalid schema, or a refinement that makes it break a rule: the diagnostics; or `refine_unavailable`: refine asked of a server with no LLM configured",
            ),
            ("429", "Rate limited"),
            ("500", "`generation_fault`: a template failed or the generated code failed its syntax check (a bug; nothing generated)"),
            ("502", "Refine failed: `llm_failed` (the LLM refused, failed or timed out) or `llm_bad_answer` (its answer is not a refinement)"),
            ("503", "Compile queue full, or the request timed out"),
        ],
        body: Some("application/json"),
        may_need_auth: true,
        query: &[("refine", "boolean", "Refine the model with the server's LLM before generating (default false).")],
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/token",
        summary: "Exchange a valid X-API-Key for a short-lived JWT.",
        responses: &[("200", "`{access_token, token_type, expires_in}`"), ("400", "No signing key configured"), ("401", "Missing or invalid key")],
        body: None,
        may_need_auth: true,
        query: &[],
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/status",
        summary: "Version, uptime, build, limits in force and counts served.",
        responses: &[("200", "Status")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
    RouteDoc { method: "get", path: "/health", summary: "Basic health.", responses: &[("200", "Up")], body: None, may_need_auth: false, query: &[] },
    RouteDoc {
        method: "get",
        path: "/health/liveness",
        summary: "Liveness probe.",
        responses: &[("200", "Alive")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
    RouteDoc {
        method: "get",
        path: "/health/readiness",
        summary: "Readiness probe; fails while draining.",
        responses: &[("200", "Ready"), ("503", "Draining, or the rate-limit store is down in fail-closed mode")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
    RouteDoc {
        method: "get",
        path: "/health/detailed",
        summary: "Each dependency with its status and latency.",
        responses: &[("200", "Details"), ("503", "Not ready")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
    RouteDoc {
        method: "get",
        path: "/metrics",
        summary: "Prometheus metrics (text format 0.0.4).",
        responses: &[("200", "The scrape")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
    RouteDoc {
        method: "get",
        path: "/openapi.json",
        summary: "This description.",
        responses: &[("200", "OpenAPI 3.1")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
    RouteDoc {
        method: "get",
        path: "/docs",
        summary: "Human-readable API documentation.",
        responses: &[("200", "HTML")],
        body: None,
        may_need_auth: false,
        query: &[],
    },
];

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let responses: serde_json::Map<String, Value> =
            route.responses.iter().map(|(code, description)| ((*code).to_owned(), json!({"description": description}))).collect();
        let mut operation = json!({"summary": route.summary, "responses": responses});
        if let Some(media) = route.body {
            operation["requestBody"] = json!({
                "required": true,
                "content": {media: {"schema": {"$ref": "https://backbone.invalid/backbone.schema.json", "description": "A backbone schema document (see `backbone schema`)"}}},
            });
        }
        if !route.query.is_empty() {
            let parameters: Vec<Value> = route
                .query
                .iter()
                .map(|(name, kind, description)| json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}, "description": description}))
                .collect();
            operation["parameters"] = Value::Array(parameters);
        }
        if route.may_need_auth {
            operation["security"] = json!([{"apiKey": []}, {"bearer": []}, {}]);
        }
        let entry = paths.entry(route.path.to_owned()).or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "backbone", "version": env!("CARGO_PKG_VERSION"), "description": "Compiles a JSON description of a database into a Python FastAPI backend."},
        "paths": paths,
        "components": {"securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        }},
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The `/docs` page.
pub fn docs_html() -> String {
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>backbone API</title>\
         <style>body{font-family:sans-serif;max-width:60em;margin:2em auto}code{background:#eee}td{padding:.2em .6em}</style>\
         </head><body><h1>backbone API</h1><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1).</p>",
    );
    for route in ROUTES {
        let _ = write!(html, "<h2><code>{} {}</code></h2><p>{}</p>", route.method.to_uppercase(), route.path, escape(route.summary));
        for (name, kind, description) in route.query {
            let _ = write!(html, "<p>Query <code>{name}</code> ({kind}): {}</p>", escape(description));
        }
        html.push_str("<table>");
        for (code, description) in route.responses {
            let _ = write!(html, "<tr><td>{code}</td><td>{}</td></tr>", escape(description));
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>");
    html
}

//! Unit tests of the routes through the router, with a fake data source.

use std::sync::Mutex;

use axum::{body::Body, http::Request};
use serde_json::json;
use tower::ServiceExt;

use super::*;
use crate::explorer::http::UpstreamError;

#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<String>>,
    fail: bool,
}

impl Fake {
    fn record(&self, call: &str) -> Result<Value, ExplorerError> {
        self.calls.lock().unwrap().push(call.to_owned());
        if self.fail {
            return Err(ExplorerError::Upstream(UpstreamError {
                url: "http://beacon".into(),
                reason: "refused".into(),
            }));
        }
        Ok(json!({ "call": call }))
    }
}

impl ExplorerData for Fake {
    fn current_slot(&self) -> BoxFuture<'_, Result<Slot, ExplorerError>> {
        Box::pin(async { Ok(Slot(100)) })
    }
    fn summary(&self) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async { self.record("summary") })
    }
    fn slots(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { self.record(&format!("slots {from}-{to}")) })
    }
    fn promises(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { self.record(&format!("promises {from}-{to}")) })
    }
    fn auctions(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { self.record(&format!("auctions {from}-{to}")) })
    }
    fn receipt(&self, chain: ChainRef, hash: B256) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { self.record(&format!("receipt {chain:?} {hash}")) })
    }
}

async fn call(data: Arc<Fake>, method: &str, uri: &str) -> (u16, String, Value) {
    let response = router(data)
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, content_type, body)
}

#[tokio::test]
async fn the_page_and_its_assets_are_served() {
    let data = Arc::new(Fake::default());
    let (status, kind, body) = call(data.clone(), "GET", "/").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    let html = body.as_str().unwrap();
    for needle in [
        r#"id="slots""#,
        r#"id="promises""#,
        r#"id="auctions""#,
        "explorer.js",
        "<table",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    assert!(!html.contains("https://"), "no external resources");
    let (status, kind, _) = call(data.clone(), "GET", "/explorer.js").await;
    assert_eq!((status, kind.starts_with("text/javascript")), (200, true));
    let (status, kind, _) = call(data, "GET", "/explorer.css").await;
    assert_eq!((status, kind.starts_with("text/css")), (200, true));
}

#[tokio::test]
async fn ranges_default_to_the_current_slot_and_are_bounded() {
    let data = Arc::new(Fake::default());
    let ok = |uri: &'static str, expected: &'static str| {
        let data = data.clone();
        async move {
            let (status, _, body) = call(data, "GET", uri).await;
            assert_eq!(status, 200, "{uri}: {body}");
            assert_eq!(body["call"], expected, "{uri}");
        }
    };
    ok("/api/slots", "slots 69-100").await;
    ok("/api/slots?to=50", "slots 19-50").await;
    ok("/api/slots?from=10&to=73", "slots 10-73").await;
    ok("/api/promises", "promises 89-104").await;
    ok("/api/promises?slot=7", "promises 7-7").await;
    ok("/api/auctions", "auctions 89-104").await;
    ok("/api/auctions?from=3&to=18", "auctions 3-18").await;
    ok("/api/summary", "summary").await;
    ok(
        "/api/receipt?chain=2&hash=0x0000000000000000000000000000000000000000000000000000000000000001",
        "receipt Rollup(RollupId(2)) 0x0000000000000000000000000000000000000000000000000000000000000001",
    )
    .await;
}

#[tokio::test]
async fn every_refusal_is_json_with_its_code() {
    let data = Arc::new(Fake::default());
    let cases = [
        ("GET", "/api/slots?from=9&to=3", 400, 9002),
        ("GET", "/api/slots?from=0&to=64", 400, 9002),
        ("GET", "/api/promises?from=0&to=16", 400, 9002),
        ("GET", "/api/auctions?from=0&to=16", 400, 9002),
        ("GET", "/api/auctions?sidecar=a", 400, 9001),
        ("GET", "/api/slots?from=x", 400, 9001),
        ("GET", "/api/slots?limit=3", 400, 9001),
        ("GET", "/api/slots?from=1&from=2", 400, 9001),
        ("GET", "/api/promises?slot=3&to=4", 400, 9001),
        ("GET", "/api/summary?x=1", 400, 9001),
        ("GET", "/api/receipt?chain=l1&hash=0x12", 400, 9001),
        ("GET", "/api/receipt?chain=l1", 400, 9001),
        ("GET", "/api/receipt?chain=abc&hash=0x12", 400, 9001),
        ("GET", "/nope", 404, 9404),
        ("POST", "/api/slots", 405, 9405),
    ];
    for (method, uri, status, code) in cases {
        let (got, kind, body) = call(data.clone(), method, uri).await;
        assert_eq!(got, status, "{method} {uri}: {body}");
        assert!(kind.starts_with("application/json"), "{uri}: {kind}");
        assert_eq!(body["error_code"], code, "{method} {uri}: {body}");
        assert_eq!(body["code"], status);
    }
    let long = format!("/api/slots?from={}", "1".repeat(100));
    assert_eq!(call(data, "GET", &long).await.2["error_code"], 9001);
}

#[tokio::test]
async fn a_failing_source_is_a_bad_gateway_and_answers_are_cached() {
    let failing = Arc::new(Fake {
        fail: true,
        ..Fake::default()
    });
    let (status, _, body) = call(failing, "GET", "/api/summary").await;
    assert_eq!((status, body["error_code"].clone()), (502, json!(9502)));
    assert!(body["message"].as_str().unwrap().contains("refused"));

    let data = Arc::new(Fake::default());
    let app = router(data.clone());
    for _ in 0..3 {
        let response = app
            .clone()
            .oneshot(Request::get("/api/slots").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(data.calls.lock().unwrap().len(), 1, "computed once per TTL");
}

//! One Engine API for many callers: the devnet's beacon service, the builder and every
//! sidecar's fallback drive the same ethereumjs client, which mixes up interleaved block
//! builds (a payload built while another build reset the shared state came back with a
//! wrong state root). The mux forwards each call unchanged, JWT included (the execution
//! client still checks it), one at a time.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use eyre::WrapErr;
use tokio::{net::TcpListener, sync::Mutex, task::JoinHandle};

/// Largest Engine API request forwarded (a `newPayload` with a full block).
const MAX_BODY: usize = 32 << 20;

#[derive(Clone)]
struct Upstream {
    url: String,
    http: reqwest::Client,
    turn: Arc<Mutex<()>>,
}

/// A running mux; stops on drop.
#[derive(Debug)]
pub(crate) struct EngineMux {
    url: String,
    task: JoinHandle<()>,
}

impl EngineMux {
    /// Serves on `listener`, forwarding to the Engine API at `upstream`.
    pub(crate) fn start(listener: TcpListener, upstream: &str) -> eyre::Result<Self> {
        let url = format!("http://{}", listener.local_addr()?);
        let state = Upstream {
            url: upstream.to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .wrap_err("the engine mux's HTTP client")?,
            turn: Arc::new(Mutex::new(())),
        };
        let app = Router::new()
            .route("/", post(forward))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(state);
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "the engine mux stopped");
            }
        });
        Ok(Self { url, task })
    }

    /// Where callers point their Engine API URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EngineMux {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(upstream): State<Upstream>, headers: HeaderMap, body: Bytes) -> Response {
    let _turn = upstream.turn.lock().await;
    let mut request = upstream
        .http
        .post(&upstream.url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        request = request.header(header::AUTHORIZATION, auth);
    }
    match request.send().await {
        Ok(answer) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            match answer.bytes().await {
                Ok(bytes) => {
                    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
                }
                Err(error) => {
                    (StatusCode::BAD_GATEWAY, format!("engine mux: {error}")).into_response()
                }
            }
        }
        Err(error) => (StatusCode::BAD_GATEWAY, format!("engine mux: {error}")).into_response(),
    }
}

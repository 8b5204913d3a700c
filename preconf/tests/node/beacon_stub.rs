//! A beacon API stand-in (no consensus client runs next to anvil): serves
//! `GET /eth/v1/validator/duties/proposer/{epoch}` from a schedule the test sets, over
//! real HTTP, so the node's beacon client is exercised as it is against a real node.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use baton_preconf::{BlsPublicKey, Slot};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    task::JoinHandle,
};

type Schedule = Arc<Mutex<HashMap<Slot, BlsPublicKey>>>;

pub(crate) struct BeaconStub {
    url: String,
    schedule: Schedule,
    task: JoinHandle<()>,
}

impl Drop for BeaconStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BeaconStub {
    /// Every slot is proposed by `default` until [`Self::set`] says otherwise.
    pub(crate) async fn serve(
        slots_per_epoch: u64,
        default: BlsPublicKey,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let schedule: Schedule = Arc::default();
        let shared = Arc::clone(&schedule);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let schedule = Arc::clone(&shared);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut len = 0;
                    while !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") && len < buf.len() {
                        match stream.read(&mut buf[len..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => len += n,
                        }
                    }
                    let head = String::from_utf8_lossy(&buf[..len]);
                    let path = head
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    let (status, body) = match path
                        .strip_prefix("/eth/v1/validator/duties/proposer/")
                        .and_then(|e| e.parse::<u64>().ok())
                    {
                        Some(epoch) => {
                            let schedule = schedule.lock().unwrap();
                            let data: Vec<_> = (epoch * slots_per_epoch..(epoch + 1) * slots_per_epoch)
                                .map(|s| {
                                    let pubkey = schedule.get(&Slot(s)).copied().unwrap_or(default);
                                    json!({ "pubkey": pubkey, "validator_index": "0", "slot": s.to_string() })
                                })
                                .collect();
                            ("200 OK", json!({ "dependent_root": format!("0x{}", "00".repeat(32)), "execution_optimistic": false, "data": data }).to_string())
                        }
                        None => (
                            "404 Not Found",
                            json!({ "code": 404, "message": "not found" }).to_string(),
                        ),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                });
            }
        });
        Ok(Self {
            url,
            schedule,
            task,
        })
    }

    pub(crate) fn url(&self) -> String {
        self.url.clone()
    }

    /// `validator` proposes `slot` (set before the node first asks about the slot's epoch).
    pub(crate) fn set(&self, slot: Slot, validator: BlsPublicKey) {
        self.schedule.lock().unwrap().insert(slot, validator);
    }
}

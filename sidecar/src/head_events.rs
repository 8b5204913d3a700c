//! Head events from the beacon node (step ②): `GET /eth/v1/events?topics=head`, a
//! server-sent event stream. Each new head wakes the execution follower at once instead of
//! at its next poll, so the books and the account cache move with the chain.
//!
//! The stream is untrusted input: lines are bounded ([`MAX_LINE`]); an over-long line, a
//! dropped connection or a bad event closes the stream and it is reopened after a pause.

use std::{sync::Arc, time::Duration};

use baton_preconf::Slot;
use serde::Deserialize;
use tokio::sync::Notify;

/// Longest SSE line accepted (a head event is about 400 bytes).
pub const MAX_LINE: usize = 16 * 1024;

/// A `head` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeadEvent {
    /// The head's slot.
    pub slot: Slot,
    /// Its beacon block root.
    pub block: alloy_primitives::B256,
    /// Whether the head starts a new epoch.
    #[serde(default)]
    pub epoch_transition: bool,
}

/// Reading the event stream failed.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    /// Transport or status error.
    #[error("beacon events: {0}")]
    Http(#[from] reqwest::Error),
    /// A line longer than [`MAX_LINE`].
    #[error("beacon events: a line over {MAX_LINE} bytes")]
    LineTooLong,
    /// The stream ended.
    #[error("beacon events: the stream ended")]
    Ended,
}

/// Incremental SSE parser: feed bytes, get complete `(event, data)` pairs.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    event: String,
    data: String,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<(String, String)>, EventsError> {
        let mut out = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                if self.line.len() >= MAX_LINE {
                    return Err(EventsError::LineTooLong);
                }
                self.line.push(byte);
                continue;
            }
            let line = String::from_utf8_lossy(&self.line).into_owned();
            let line = line.strip_suffix('\r').unwrap_or(&line);
            self.line.clear();
            if line.is_empty() {
                if !self.data.is_empty() || !self.event.is_empty() {
                    out.push((
                        std::mem::take(&mut self.event),
                        std::mem::take(&mut self.data),
                    ));
                }
            } else if let Some(value) = line.strip_prefix("event:") {
                self.event = value.trim_start().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                if self.data.len() + value.len() > MAX_LINE {
                    return Err(EventsError::LineTooLong);
                }
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(value.trim_start());
            }
            // Comments (`:`), `id:` and `retry:` are ignored.
        }
        Ok(out)
    }
}

/// Reads the beacon node's SSE events of `topic` at `base` and calls `on_data` with each
/// event's `data`; returns when the stream fails or ends.
pub(crate) async fn read_topic(
    http: &reqwest::Client,
    base: &str,
    topic: &str,
    on_data: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), EventsError> {
    let mut response = http
        .get(format!("{base}/eth/v1/events?topics={topic}"))
        .header("accept", "text/event-stream")
        .send()
        .await?
        .error_for_status()?;
    let mut parser = SseParser::default();
    while let Some(chunk) = response.chunk().await? {
        for (event, data) in parser.feed(&chunk)? {
            if event == topic {
                on_data(&data);
            }
        }
    }
    Err(EventsError::Ended)
}

/// Reads head events from the beacon node at `base` and calls `on_head` for each; returns
/// when the stream fails.
pub async fn read_head_events(
    http: &reqwest::Client,
    base: &str,
    on_head: &(dyn Fn(HeadEvent) + Send + Sync),
) -> Result<(), EventsError> {
    read_topic(
        http,
        base,
        "head",
        &|data| match serde_json::from_str::<HeadEvent>(data) {
            Ok(head) => on_head(head),
            Err(error) => tracing::warn!(%error, "ignoring a malformed head event"),
        },
    )
    .await
}

/// Follows head events forever, waking `wake` on each; reconnects after failures.
pub async fn follow_head_events(base: String, wake: Arc<Notify>) {
    // No overall timeout: the stream is meant to stay open.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    let base = base.trim_end_matches('/').to_owned();
    let mut failures = 0u32;
    loop {
        let on_head = |head: HeadEvent| {
            tracing::debug!(slot = head.slot.0, block = %head.block, "beacon head");
            wake.notify_one();
        };
        if let Err(error) = read_head_events(&http, &base, &on_head).await {
            failures += 1;
            if failures == 1 || failures.is_multiple_of(30) {
                tracing::warn!(%error, failures, "beacon head events interrupted; the L1 head is polled meanwhile");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = "event: head\ndata: {\"slot\":\"10\", \"block\":\"0x9a2fefd2fdb57f74993c7780ea5b9030d2897b615b89f808011ca5aebed54eaf\", \"state\":\"0x00\", \"epoch_transition\":false}\n\n";

    #[test]
    fn events_split_anywhere_parse_the_same() {
        let bytes = format!(": keep-alive\n\n{EVENT}event: block\ndata: {{}}\n\r\n{EVENT}");
        for split in [1, 2, 7, 50, bytes.len()] {
            let mut parser = SseParser::default();
            let mut events = Vec::new();
            for chunk in bytes.as_bytes().chunks(split) {
                events.extend(parser.feed(chunk).unwrap());
            }
            assert_eq!(events.len(), 3, "split {split}");
            assert_eq!(events[0].0, "head");
            assert_eq!(events[1], ("block".to_owned(), "{}".to_owned()));
            let head: HeadEvent = serde_json::from_str(&events[2].1).unwrap();
            assert_eq!(head.slot, Slot(10));
        }
    }

    #[test]
    fn long_lines_are_refused() {
        let mut parser = SseParser::default();
        let long = vec![b'x'; MAX_LINE + 1];
        assert!(matches!(parser.feed(&long), Err(EventsError::LineTooLong)));
    }
}

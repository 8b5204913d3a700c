//! `GET /eth/v1/events?topics=…`: the server-sent event stream of [`super::events`].
//! Subscribers are bounded ([`MAX_SUBSCRIBERS`]); a slow one skips events rather than
//! holding memory; streams end when the service stops.

use std::{
    collections::VecDeque,
    convert::Infallible,
    sync::{Arc, atomic::Ordering},
};

use axum::{
    extract::{RawQuery, State},
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
};
use tokio::sync::{broadcast, watch};

use super::{
    error::ApiError,
    events::{Event, Topic},
    service::Shared,
};

/// Most event streams open at once.
pub const MAX_SUBSCRIBERS: usize = 64;
/// Longest query string read.
const MAX_QUERY: usize = 512;

/// The topics of a query string (`topics=a,b` or `topics=a&topics=b`).
pub(crate) fn parse_topics(query: Option<&str>) -> Result<Vec<Topic>, ApiError> {
    let query = query.unwrap_or_default();
    if query.len() > MAX_QUERY {
        return Err(ApiError::BadParameter {
            name: "topics",
            reason: format!("query longer than {MAX_QUERY} characters"),
        });
    }
    let mut topics = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "topics" {
            return Err(ApiError::BadParameter {
                name: "topics",
                reason: format!("unknown key {}", key.chars().take(32).collect::<String>()),
            });
        }
        for name in value.replace("%2C", ",").replace("%2c", ",").split(',') {
            let topic = Topic::parse(name).ok_or_else(|| ApiError::UnknownTopic {
                topic: name.chars().take(32).collect(),
            })?;
            if !topics.contains(&topic) {
                topics.push(topic);
            }
        }
    }
    if topics.is_empty() {
        return Err(ApiError::BadParameter {
            name: "topics",
            reason: "at least one topic is required".to_owned(),
        });
    }
    Ok(topics)
}

/// Decrements the subscriber count when a stream ends.
struct Subscriber(Arc<Shared>);

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Stream {
    replay: VecDeque<Event>,
    receiver: broadcast::Receiver<Event>,
    topics: Vec<Topic>,
    stop: watch::Receiver<bool>,
    _subscriber: Subscriber,
}

fn to_sse(event: Event) -> SseEvent {
    SseEvent::default()
        .event(event.topic.name())
        .data(event.data)
}

async fn next(mut stream: Stream) -> Option<(Result<SseEvent, Infallible>, Stream)> {
    if let Some(event) = stream.replay.pop_front() {
        return Some((Ok(to_sse(event)), stream));
    }
    loop {
        let received = tokio::select! {
            received = stream.receiver.recv() => received,
            _ = stream.stop.wait_for(|stopped| *stopped) => return None,
        };
        match received {
            Ok(event) if stream.topics.contains(&event.topic) => {
                return Some((Ok(to_sse(event)), stream));
            }
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// The handler.
pub(crate) async fn events(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let topics = parse_topics(query.as_deref())?;
    if shared.subscribers.fetch_add(1, Ordering::SeqCst) >= MAX_SUBSCRIBERS {
        shared.subscribers.fetch_sub(1, Ordering::SeqCst);
        return Err(ApiError::TooManySubscribers {
            max: MAX_SUBSCRIBERS,
        });
    }
    let subscriber = Subscriber(shared.clone());
    let (replay, receiver) = shared.events.subscribe(&topics);
    let stream = Stream {
        replay: replay.into(),
        receiver,
        topics,
        stop: shared.stop.subscribe(),
        _subscriber: subscriber,
    };
    let events = futures_util::stream::unfold(stream, next);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_in_both_forms_and_refuse_unknown_ones() {
        let both = vec![Topic::Head, Topic::PayloadAttributes];
        assert_eq!(
            parse_topics(Some("topics=head,payload_attributes")).unwrap(),
            both
        );
        assert_eq!(
            parse_topics(Some("topics=head&topics=payload_attributes&topics=head")).unwrap(),
            both
        );
        assert_eq!(
            parse_topics(Some("topics=head%2Cpayload_attributes")).unwrap(),
            both
        );
        assert!(matches!(
            parse_topics(Some("topics=block")),
            Err(ApiError::UnknownTopic { .. })
        ));
        assert!(parse_topics(None).is_err());
        assert!(parse_topics(Some("x=head")).is_err());
        assert!(parse_topics(Some(&"topics=head,".repeat(100))).is_err());
    }
}

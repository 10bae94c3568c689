//! Reads a request body up to a limit, keeping what was read when the limit
//! is passed so the refused payload can still be shown to an operator.

use axum::body::Body;
use http_body_util::BodyExt;

pub enum BodyRead {
    Complete(Vec<u8>),
    /// Over the limit: the first `limit` bytes.
    TooLarge(Vec<u8>),
    /// The client broke off or sent a broken stream.
    Failed(String),
}

pub async fn read_limited(mut body: Body, limit: usize) -> BodyRead {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => return BodyRead::Failed(error.to_string()),
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                let room = limit - bytes.len();
                bytes.extend_from_slice(&data[..room]);
                return BodyRead::TooLarge(bytes);
            }
            bytes.extend_from_slice(&data);
        }
    }
    BodyRead::Complete(bytes)
}

//! Opaque, signed pagination cursors.
//!
//! A cursor names the last tenant of a page (its `createdAt` and id) and a fingerprint of
//! the query it belongs to, signed with HMAC-SHA256. Anything that does not decode, verify
//! and match the current query is rejected as `invalid_cursor`.
//!
//! A listing filtered on the way (a tenant's API keys, read from the index of every key)
//! may have to stop on an item it does not return; its cursors are sealed
//! ([`CursorCodec::sealing`]: ChaCha20-Poly1305, the query's fingerprint as associated
//! data), so that the position they hold tells the caller nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::{clock, Page, Tenant, TenantId};
use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

const TAG_LEN: usize = 16;

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// `createdAt` of the last tenant returned.
    #[serde(rename = "c")]
    pub created_at: String,
    /// Id of the last tenant returned.
    #[serde(rename = "i")]
    pub id: String,
}

impl Position {
    /// The position of `tenant` in a listing by creation time.
    pub fn of(tenant: &Tenant) -> Self {
        Self {
            created_at: tenant.created_at.clone(),
            id: tenant.id.to_string(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "p")]
    position: Position,
    /// Fingerprint of the query (filters and order) the cursor was issued for.
    #[serde(rename = "q")]
    query: String,
}

/// Signs and verifies cursors with one key (or, [`Self::sealing`], seals and opens them).
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
    sealed: bool,
}

/// Length of a sealed cursor's nonce.
const NONCE_LEN: usize = 12;

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec { .. }")
    }
}

impl CursorCodec {
    /// A codec signing with `key`.
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: key.to_vec(),
            sealed: false,
        }
    }

    /// The same key, sealing cursors instead of signing them: their position is encrypted.
    pub fn sealing(&self) -> Self {
        Self {
            key: self.key.clone(),
            sealed: true,
        }
    }

    /// The sealing key: derived from the signing key, never the same bytes (`None` cannot
    /// happen: HMAC takes any key and gives the 32 bytes ChaCha20-Poly1305 takes).
    fn sealing_key(&self) -> Option<ring::aead::LessSafeKey> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key).ok()?;
        mac.update(b"tenant-api cursor sealing v1");
        let key = mac.finalize().into_bytes();
        let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &key).ok()?;
        Some(ring::aead::LessSafeKey::new(key))
    }

    fn seal(&self, payload: Vec<u8>, query: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        // Without randomness a cursor cannot be sealed safely: an empty one (refused as
        // `invalid_cursor` if sent back) rather than a reused nonce.
        if getrandom::fill(&mut nonce).is_err() {
            return String::new();
        }
        let mut sealed = payload;
        let aad = ring::aead::Aad::from(query.as_bytes());
        let nonce_value = ring::aead::Nonce::assume_unique_for_key(nonce);
        let Some(key) = self.sealing_key() else {
            return String::new();
        };
        if key
            .seal_in_place_append_tag(nonce_value, aad, &mut sealed)
            .is_err()
        {
            return String::new();
        }
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn open(&self, bytes: Vec<u8>, query: &str) -> Result<Vec<u8>, ApiError> {
        if bytes.len() <= NONCE_LEN {
            return Err(ApiError::InvalidCursor);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| ApiError::InvalidCursor)?;
        let mut sealed = sealed.to_vec();
        let aad = ring::aead::Aad::from(query.as_bytes());
        let key = self.sealing_key().ok_or(ApiError::InvalidCursor)?;
        let opened = key
            .open_in_place(nonce, aad, &mut sealed)
            .map_err(|_| ApiError::InvalidCursor)?;
        Ok(opened.to_vec())
    }

    fn tag(&self, payload: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload);
        mac.finalize().into_bytes()[..TAG_LEN].to_vec()
    }

    /// Encodes `position` for the query with fingerprint `query`.
    pub fn encode(&self, position: &Position, query: &str) -> String {
        let payload = serde_json::to_vec(&Payload {
            position: position.clone(),
            query: query.to_owned(),
        })
        .unwrap_or_default();
        if self.sealed {
            return self.seal(payload, query);
        }
        let mut bytes = self.tag(&payload);
        bytes.extend_from_slice(&payload);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a tenant-listing cursor issued by [`Self::encode`] for the query with
    /// fingerprint `query`.
    pub fn decode(&self, cursor: &str, query: &str) -> Result<Position, ApiError> {
        let position = self.decode_any(cursor, query)?;
        // A signed cursor is ours, but check anyway: it becomes a DynamoDB key.
        if !clock::is_canonical(&position.created_at) || TenantId::parse(&position.id).is_err() {
            return Err(ApiError::InvalidCursor);
        }
        Ok(position)
    }

    /// Decodes a cursor for the query with fingerprint `query`, leaving the check of the
    /// position's fields to the caller (listings of other things than tenants).
    pub fn decode_any(&self, cursor: &str, query: &str) -> Result<Position, ApiError> {
        if cursor.len() > 1024 {
            return Err(ApiError::InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| ApiError::InvalidCursor)?;
        if self.sealed {
            let payload = self.open(bytes, query)?;
            let payload: Payload =
                serde_json::from_slice(&payload).map_err(|_| ApiError::InvalidCursor)?;
            return match payload.query == query {
                true => Ok(payload.position),
                false => Err(ApiError::InvalidCursor),
            };
        }
        if bytes.len() <= TAG_LEN {
            return Err(ApiError::InvalidCursor);
        }
        let (tag, payload) = bytes.split_at(TAG_LEN);
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.key).map_err(|_| ApiError::InvalidCursor)?;
        mac.update(payload);
        mac.verify_truncated_left(tag)
            .map_err(|_| ApiError::InvalidCursor)?;
        let payload: Payload =
            serde_json::from_slice(payload).map_err(|_| ApiError::InvalidCursor)?;
        if payload.query != query {
            return Err(ApiError::InvalidCursor);
        }
        Ok(payload.position)
    }
}

/// Cuts `items`, read one past a page of `limit`, to the page, with the cursor after its
/// last item when more remain.
pub fn page_of<T>(
    codec: &CursorCodec,
    mut items: Vec<T>,
    limit: usize,
    query: &str,
    position: impl Fn(&T) -> Position,
) -> Page<T> {
    if items.len() <= limit {
        return Page {
            items,
            next_cursor: None,
        };
    }
    items.truncate(limit);
    let next_cursor = items
        .last()
        .map(|last| codec.encode(&position(last), query));
    Page { items, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            created_at: clock::now_rfc3339(),
            id: TenantId::generate().to_string(),
        }
    }

    #[test]
    fn a_cursor_round_trips_for_the_same_query() {
        let codec = CursorCodec::new(b"k");
        let p = position();
        let cursor = codec.encode(&p, "q1");
        assert_eq!(codec.decode(&cursor, "q1").unwrap(), p);
    }

    #[test]
    fn garbled_forged_or_foreign_cursors_are_rejected() {
        let codec = CursorCodec::new(b"k");
        let cursor = codec.encode(&position(), "q1");
        assert!(codec.decode(&cursor, "q2").is_err(), "other query");
        assert!(
            CursorCodec::new(b"other").decode(&cursor, "q1").is_err(),
            "other key"
        );
        for garbage in ["", "abc", "!!!", &cursor[1..], &format!("{cursor}A")] {
            assert!(codec.decode(garbage, "q1").is_err(), "{garbage}");
        }
        // A well-formed payload without a valid signature.
        let forged = URL_SAFE_NO_PAD.encode(
            [
                vec![0u8; TAG_LEN],
                br#"{"p":{"c":"x","i":"y"},"q":"q1"}"#.to_vec(),
            ]
            .concat(),
        );
        assert!(codec.decode(&forged, "q1").is_err());
    }

    #[test]
    fn sealed_cursors_round_trip_and_hide_their_position() {
        let codec = CursorCodec::new(b"secret").sealing();
        let position = Position {
            created_at: "2026-12-04T10:00:00.000Z".to_owned(),
            id: "key_0123456789abcdef0123456789abcdef".to_owned(),
        };
        let cursor = codec.encode(&position, "q1");
        assert_eq!(codec.decode_any(&cursor, "q1").unwrap(), position);
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("key_") && !text.contains("2026"),
            "nothing readable"
        );
        assert_ne!(
            cursor,
            codec.encode(&position, "q1"),
            "a fresh nonce each time"
        );
        assert!(
            codec.decode_any(&cursor, "q2").is_err(),
            "bound to its query"
        );
        let signed = CursorCodec::new(b"secret");
        assert!(signed.decode_any(&cursor, "q1").is_err());
        assert!(codec
            .decode_any(&signed.encode(&position, "q1"), "q1")
            .is_err());
        let other = CursorCodec::new(b"other").sealing();
        assert!(other.decode_any(&cursor, "q1").is_err());
    }
}

//! The console's stylesheet, embedded in the binary and served under a name holding a hash
//! of its content: cached for a year, and a new build's CSS is a new URL.

use std::sync::OnceLock;

/// The stylesheet.
pub const CSS: &str = include_str!("console.css");

/// FNV-1a, 64 bits: a content hash for cache busting (not for security).
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const CSS_HASH: u64 = fnv1a(CSS.as_bytes());

/// The stylesheet's path: `/console/assets/console-<hash>.css`.
pub fn css_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| format!("/console/assets/console-{CSS_HASH:016x}.css"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_path_names_its_content() {
        assert!(css_path().starts_with("/console/assets/console-"));
        assert_eq!(css_path().len(), "/console/assets/console-.css".len() + 16);
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}

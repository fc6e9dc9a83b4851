//! Names on the network: email addresses, DNS domain names and https URLs.

text_newtype!(
    /// An email address (no display name, no domain literal, dotted domain).
    Email,
    r"^[A-Za-z0-9_%+-]{1,32}(\.[A-Za-z0-9_%+-]{1,16})?@([a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\.){1,3}[a-z]{2,12}$",
    (6, 254),
    "ops@acme.example.com"
);
text_newtype!(
    /// An absolute `https` URL, such as an IAM Identity Center start URL.
    HttpsUrl,
    concat!(r"^https://", host!(), r"(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$"),
    (12, 2048),
    "https://d-1234567890.awsapps.com/start"
);
text_newtype!(
    /// A DNS domain name in lowercase, such as `example.com`.
    DomainName,
    concat!("^", host!(), "$"),
    (4, 253),
    "acme.example.com"
);

impl Email {
    /// Parses an email address such as `ops@example.com`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
        };
        if text.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        email_address::EmailAddress::parse_with_options(text, options)
            .map(|e| Self(e.as_str().to_owned()))
            .map_err(|e| format!("is not a valid email address ({e})"))
    }
}

impl HttpsUrl {
    /// Parses an absolute `https://host[:port][/path][?query]` URL without credentials,
    /// fragments or whitespace, at most 2048 characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason = |why: &str| {
            format!("must be an https URL such as 'https://d-1234567890.awsapps.com/start' ({why})")
        };
        if text.len() > 2048 {
            return Err(reason("at most 2048 characters"));
        }
        let rest = text
            .strip_prefix("https://")
            .ok_or_else(|| reason("scheme must be https"))?;
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(reason(
                "no spaces or non-ASCII characters; percent-encode them",
            ));
        }
        if text.contains('#') {
            return Err(reason("no fragment"));
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if authority.contains('@') {
            return Err(reason("no user info"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if let Some(port) = port {
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                return Err(reason("invalid port"));
            }
        }
        DomainName::parse(host).map_err(|_| reason("invalid host name"))?;
        Ok(Self(text.to_owned()))
    }
}

impl DomainName {
    /// Parses a DNS name with at least two labels and an alphabetic top-level label.
    /// Upper case is accepted and folded to lower case.
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason = || "must be a domain name such as 'example.com'".to_owned();
        let lower = text.to_ascii_lowercase();
        if lower.is_empty() || lower.len() > 253 {
            return Err(reason());
        }
        let labels: Vec<&str> = lower.split('.').collect();
        if labels.len() < 2 {
            return Err(reason());
        }
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let tld = labels[labels.len() - 1];
        if !labels.iter().all(label_ok)
            || tld.len() < 2
            || !tld.bytes().all(|b| b.is_ascii_lowercase())
        {
            return Err(reason());
        }
        Ok(Self(lower))
    }
}

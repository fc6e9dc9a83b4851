//! AWS values: region codes, IAM role ARNs and STS external ids.

text_newtype!(
    /// An AWS region code such as `us-east-1` or `us-gov-west-1`.
    AwsRegion,
    r"^[a-z]{2}(-(gov|iso|isob|isoe|isof))?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$",
    (9, 32),
    "eu-west-1"
);
text_newtype!(
    /// An IAM role ARN, e.g. `arn:aws:iam::123456789012:role/path/Name`.
    IamRoleArn,
    r"^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]{1,20}/){0,3}[A-Za-z0-9+=,.@_-]{1,64}$",
    (31, 200),
    "arn:aws:iam::123456789012:role/TenantAccess"
);
text_newtype!(
    /// An STS external id: 2-1224 characters of `[A-Za-z0-9+=,.@:/-]`.
    AwsExternalId,
    r"^[A-Za-z0-9+=,.@:/_-]{2,1224}$",
    (2, 1224),
    "acme-7d3f"
);

impl AwsRegion {
    /// Parses an AWS region code: `<area>[-gov|-iso|-isob|-isoe|-isof]-<direction>-<n>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        const DIRECTIONS: [&str; 9] = [
            "east",
            "west",
            "north",
            "south",
            "central",
            "northeast",
            "northwest",
            "southeast",
            "southwest",
        ];
        const PARTITIONS: [&str; 5] = ["gov", "iso", "isob", "isoe", "isof"];
        let reason =
            || "must be an AWS region code such as 'us-east-1' or 'eu-central-2'".to_owned();
        let parts: Vec<&str> = text.split('-').collect();
        let (area, middle, number) = match parts.as_slice() {
            [area, direction, n] => (*area, vec![*direction], *n),
            [area, partition, direction, n] if PARTITIONS.contains(partition) => {
                (*area, vec![*direction], *n)
            }
            _ => return Err(reason()),
        };
        let area_ok = area.len() == 2 && area.bytes().all(|b| b.is_ascii_lowercase());
        let direction_ok = middle.iter().all(|d| DIRECTIONS.contains(d));
        let number_ok = (1..=2).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        if area_ok && direction_ok && number_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(reason())
        }
    }
}

impl IamRoleArn {
    /// Parses `arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let reason = || {
            "must be an IAM role ARN such as 'arn:aws:iam::123456789012:role/TenantAccess'"
                .to_owned()
        };
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(reason());
        };
        if ![
            "aws",
            "aws-cn",
            "aws-us-gov",
            "aws-iso",
            "aws-iso-b",
            "aws-iso-e",
            "aws-iso-f",
            "aws-eusc",
        ]
        .contains(&partition)
        {
            return Err(reason());
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(reason());
        }
        let path_and_name = resource.strip_prefix("role/").ok_or_else(reason)?;
        let (path, name) = path_and_name
            .rsplit_once('/')
            .unwrap_or(("", path_and_name));
        let name_ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        let path_ok = path.len() <= 510
            && !path.contains("//")
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
        if name_ok && path_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(reason())
        }
    }
}

/// What every external id the platform draws starts with.
pub const GENERATED_EXTERNAL_ID_PREFIX: &str = "ext_";

impl AwsExternalId {
    /// A fresh external id for one tenant: [`GENERATED_EXTERNAL_ID_PREFIX`] and 256 random
    /// bits as 64 lowercase hex digits. Nobody chooses it, so no customer can name
    /// another's, and it is unique per tenant (a collision of 256 random bits does not
    /// happen).
    pub fn generate() -> Result<Self, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("drawing an external id: {e}"))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(format!("{GENERATED_EXTERNAL_ID_PREFIX}{hex}")))
    }

    /// Parses an STS external id (2-1224 characters of `[A-Za-z0-9+=,.@:/_-]`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = (2..=1224).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("must be 2-1224 characters of letters, digits and +=,.@:/_-".into())
        }
    }
}

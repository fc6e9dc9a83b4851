//! The tenant resource as the API shows it, and the validated inputs that create or change
//! it. Storage has its own structs in [`crate::store`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};
use crate::plans::PlanCatalogue;
use crate::validation::{
    bounded_text, identifier, metadata, positive_limit, AwsExternalId, AwsRegion, DisplayName,
    DomainName, Email, HttpsUrl, IamRoleArn, Locale, Slug, TenantId, UserId,
};

/// What sort of customer a tenant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    #[default]
    Standard,
    Enterprise,
    Trial,
}

impl TenantKind {
    /// Every kind, for stats and error messages.
    pub const ALL: [Self; 3] = [Self::Standard, Self::Enterprise, Self::Trial];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Enterprise => "enterprise",
            Self::Trial => "trial",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| "must be one of: standard, enterprise, trial".to_owned())
    }
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
    Deleted,
}

impl TenantStatus {
    /// Every status, for stats and error messages.
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::Deleted];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deleted => "deleted",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| "must be one of: active, suspended, deleted".to_owned())
    }
}

/// How a tenant's users sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LoginMode {
    #[default]
    Invite,
    Sso,
    EmailDomain,
}

impl LoginMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Sso => "sso",
            Self::EmailDomain => "email_domain",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Result<Self, String> {
        [Self::Invite, Self::Sso, Self::EmailDomain]
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| "must be one of: invite, sso, email_domain".to_owned())
    }
}

/// The fields a client may change after creation (with PATCH).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantFields {
    pub name: String,
    pub kind: TenantKind,
    pub owner_email: Option<String>,
    pub owner_name: Option<String>,
    pub owner_user_id: Option<String>,
    pub billing_email: Option<String>,
    pub technical_contact_email: Option<String>,
    pub external_id: Option<String>,
    pub locale: Option<String>,
    pub region: Option<String>,
    pub login_mode: LoginMode,
    pub sso_start_url: Option<String>,
    pub sso_region: Option<String>,
    pub email_domain: Option<String>,
    pub aws_role_arn: Option<String>,
    pub aws_external_id: Option<String>,
    pub aws_region: Option<String>,
    pub max_users: Option<u32>,
    pub max_workspaces: Option<u32>,
    pub max_projects: Option<u32>,
    pub max_environments: Option<u32>,
    pub data_retention_days: Option<u32>,
    pub metadata: Option<Map<String, Value>>,
}

/// Body fields a client may write after creation.
pub const MUTABLE_FIELDS: [&str; 23] = [
    "name",
    "kind",
    "ownerEmail",
    "ownerName",
    "ownerUserId",
    "billingEmail",
    "technicalContactEmail",
    "externalId",
    "locale",
    "region",
    "loginMode",
    "ssoStartUrl",
    "ssoRegion",
    "emailDomain",
    "awsRoleArn",
    "awsExternalId",
    "awsRegion",
    "maxUsers",
    "maxWorkspaces",
    "maxProjects",
    "maxEnvironments",
    "dataRetentionDays",
    "metadata",
];

/// Body fields a client may set only when creating a tenant.
pub const CREATE_ONLY_FIELDS: [&str; 4] = ["id", "slug", "plan", "initialAdminUserIds"];

/// Most initial admins a create may name.
pub const MAX_INITIAL_ADMINS: usize = 20;

/// Fields only the server writes.
pub const READ_ONLY_FIELDS: [&str; 9] = [
    "currentUserRoles",
    "status",
    "scopeId",
    "version",
    "createdAt",
    "updatedAt",
    "suspendedReason",
    "suspendedAt",
    "deletedAt",
];

/// Collects the invalid fields of one request.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    /// Records that `field` is invalid because of `reason`.
    pub fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError::new(field, reason));
    }

    /// `Ok(value)` if nothing was recorded, else a validation error listing every field.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    /// `Ok(value)` if nothing was recorded and the value was built, else a validation
    /// error listing every field. (A missing value with no problem recorded is a bug.)
    pub fn require<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ if self.0.is_empty() => Err(ApiError::internal("validation failed without a reason")),
            _ => Err(ApiError::Validation(self.0)),
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads optional, typed fields out of a JSON object, recording every problem.
struct Reader<'a> {
    body: &'a Map<String, Value>,
    problems: &'a mut Problems,
}

impl Reader<'_> {
    /// A string field parsed by `parse`; absent or `null` is `None`.
    fn text<T>(&mut self, field: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match parse(s) {
                Ok(v) => Some(v),
                Err(reason) => {
                    self.problems.add(field, reason);
                    None
                }
            },
            Some(_) => {
                self.problems.add(field, "must be a string");
                None
            }
        }
    }

    /// A value field parsed by `parse`; absent or `null` is `None`.
    fn value<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(v) => match parse(v) {
                Ok(v) => Some(v),
                Err(reason) => {
                    self.problems.add(field, reason);
                    None
                }
            },
        }
    }

    fn present(&self, field: &str) -> bool {
        !matches!(self.body.get(field), None | Some(Value::Null))
    }
}

impl TenantFields {
    /// Validates the mutable fields of `body`, recording every problem in `problems`.
    /// Fields outside [`MUTABLE_FIELDS`] are ignored here; callers reject them.
    pub fn from_json(body: &Map<String, Value>, problems: &mut Problems) -> Option<Self> {
        let before = problems.0.len();
        let mut r = Reader { body, problems };
        let name = r.text("name", |s| {
            DisplayName::parse(s).map(DisplayName::into_inner)
        });
        if !r.present("name") {
            r.problems.add("name", "is required");
        }
        let kind = r.text("kind", TenantKind::parse).unwrap_or_default();
        let email = |s: &str| Email::parse(s).map(Email::into_inner);
        let owner_email = r.text("ownerEmail", email);
        let owner_name = r.text("ownerName", |s| bounded_text(s, 1, 200));
        let owner_user_id = r.text("ownerUserId", |s| identifier(s, 128));
        let billing_email = r.text("billingEmail", email);
        let technical_contact_email = r.text("technicalContactEmail", email);
        let external_id = r.text("externalId", |s| identifier(s, 256));
        let locale = r.text("locale", |s| Locale::parse(s).map(Locale::into_inner));
        let region_of = |s: &str| AwsRegion::parse(s).map(AwsRegion::into_inner);
        let region = r.text("region", region_of);
        let login_mode = r.text("loginMode", LoginMode::parse).unwrap_or_default();
        let sso_start_url = r.text("ssoStartUrl", |s| {
            HttpsUrl::parse(s).map(HttpsUrl::into_inner)
        });
        let sso_region = r.text("ssoRegion", region_of);
        let email_domain = r.text("emailDomain", |s| {
            DomainName::parse(s).map(DomainName::into_inner)
        });
        let aws_role_arn = r.text("awsRoleArn", |s| {
            IamRoleArn::parse(s).map(IamRoleArn::into_inner)
        });
        let aws_external_id = r.text("awsExternalId", |s| {
            AwsExternalId::parse(s).map(AwsExternalId::into_inner)
        });
        let aws_region = r.text("awsRegion", region_of);
        let max_users = r.value("maxUsers", positive_limit);
        let max_workspaces = r.value("maxWorkspaces", positive_limit);
        let max_projects = r.value("maxProjects", positive_limit);
        let max_environments = r.value("maxEnvironments", positive_limit);
        let data_retention_days = r.value("dataRetentionDays", positive_limit);
        let metadata = r.value("metadata", metadata);

        // Cross-field rules: a login mode needs the settings it signs users in with.
        match login_mode {
            LoginMode::Sso => {
                for field in ["ssoStartUrl", "ssoRegion"] {
                    if !r.present(field) {
                        r.problems.add(field, "is required when loginMode is 'sso'");
                    }
                }
            }
            LoginMode::EmailDomain if !r.present("emailDomain") => {
                r.problems.add(
                    "emailDomain",
                    "is required when loginMode is 'email_domain'",
                );
            }
            _ => {}
        }

        if problems.0.len() > before {
            return None;
        }
        Some(Self {
            name: name?,
            kind,
            owner_email,
            owner_name,
            owner_user_id,
            billing_email,
            technical_contact_email,
            external_id,
            locale,
            region,
            login_mode,
            sso_start_url,
            sso_region,
            email_domain,
            aws_role_arn,
            aws_external_id,
            aws_region,
            max_users,
            max_workspaces,
            max_projects,
            max_environments,
            data_retention_days,
            metadata,
        })
    }

    /// These fields as a JSON object (absent optional fields omitted), the document a
    /// merge patch applies to.
    pub fn to_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            _ => Map::new(),
        }
    }
}

/// A tenant as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub plan: String,
    pub status: TenantStatus,
    pub scope_id: String,
    #[serde(flatten)]
    pub fields: TenantFields,
    pub suspended_reason: Option<String>,
    pub suspended_at: Option<String>,
    pub deleted_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A validated create request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    /// The client-supplied id, if any (makes the create idempotent).
    pub id: Option<TenantId>,
    pub slug: Slug,
    pub plan: String,
    pub fields: TenantFields,
    /// Users made admins of the tenant in the create transaction.
    pub initial_admin_user_ids: Vec<String>,
}

impl NewTenant {
    /// Validates a create body, listing every invalid or unknown field.
    pub fn from_json(body: &Map<String, Value>, plans: &PlanCatalogue) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        reject_foreign_fields(body, &CREATE_ONLY_FIELDS, &mut problems, |field| {
            if READ_ONLY_FIELDS.contains(&field) {
                "is set by the server and cannot be written".to_owned()
            } else {
                "is not a known field".to_owned()
            }
        });
        let mut r = Reader {
            body,
            problems: &mut problems,
        };
        let id = r.text("id", TenantId::parse);
        let slug = r.text("slug", Slug::parse);
        if !r.present("slug") {
            r.problems.add("slug", "is required");
        }
        let plan = r.text("plan", |p| {
            if plans.contains(p) {
                Ok(p.to_owned())
            } else {
                Err(format!("must be one of: {}", plans.plans().join(", ")))
            }
        });
        let initial_admin_user_ids = initial_admins(body.get("initialAdminUserIds"), &mut problems);
        let fields = TenantFields::from_json(body, &mut problems);
        let new = slug.zip(fields).map(|(slug, fields)| Self {
            id,
            slug,
            plan: plan.unwrap_or_else(|| plans.default_plan().to_owned()),
            fields,
            initial_admin_user_ids,
        });
        problems.require(new)
    }
}

/// `initialAdminUserIds`: up to [`MAX_INITIAL_ADMINS`] distinct user ids.
fn initial_admins(value: Option<&Value>, problems: &mut Problems) -> Vec<String> {
    const FIELD: &str = "initialAdminUserIds";
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.add(FIELD, "must be an array of user ids");
            return Vec::new();
        }
    };
    if items.len() > MAX_INITIAL_ADMINS {
        problems.add(
            FIELD,
            format!("may name at most {MAX_INITIAL_ADMINS} users"),
        );
        return Vec::new();
    }
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        match item.as_str().map(UserId::parse) {
            Some(Ok(id)) if ids.contains(&id.as_str().to_owned()) => {
                problems.add(FIELD, format!("names '{}' twice", id.as_str()));
                return Vec::new();
            }
            Some(Ok(id)) => ids.push(id.into_inner()),
            Some(Err(why)) => {
                problems.add(FIELD, format!("each user id {why}"));
                return Vec::new();
            }
            None => {
                problems.add(FIELD, "must be an array of user ids");
                return Vec::new();
            }
        }
    }
    ids
}

/// Records every key of `body` that is neither mutable nor in `also_allowed`.
pub fn reject_foreign_fields(
    body: &Map<String, Value>,
    also_allowed: &[&str],
    problems: &mut Problems,
    reason: impl Fn(&str) -> String,
) {
    for key in body.keys() {
        if !MUTABLE_FIELDS.contains(&key.as_str()) && !also_allowed.contains(&key.as_str()) {
            problems.add(key, reason(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};
    use serde_json::json;

    fn plans() -> PlanCatalogue {
        PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap()
    }

    fn parse(body: Value) -> Result<NewTenant, ApiError> {
        NewTenant::from_json(body.as_object().unwrap(), &plans())
    }

    fn invalid_fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(fields) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn minimal_create_gets_defaults() {
        let t = parse(json!({"name": " Acme ", "slug": "acme"})).unwrap();
        assert_eq!(t.fields.name, "Acme");
        assert_eq!(t.plan, "starter");
        assert_eq!(t.fields.kind, TenantKind::Standard);
        assert_eq!(t.fields.login_mode, LoginMode::Invite);
        assert!(t.id.is_none());
    }

    #[test]
    fn every_invalid_field_is_listed_not_just_the_first() {
        let err = parse(json!({
            "name": "",
            "slug": "Bad Slug",
            "kind": "huge",
            "plan": "platinum",
            "ownerEmail": "nope",
            "maxUsers": 0,
            "locale": "english",
            "bogus": 1,
            "status": "active"
        }))
        .unwrap_err();
        let mut fields = invalid_fields(err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "bogus",
                "kind",
                "locale",
                "maxUsers",
                "name",
                "ownerEmail",
                "plan",
                "slug",
                "status"
            ]
        );
    }

    #[test]
    fn missing_required_fields_are_reported() {
        let mut fields = invalid_fields(parse(json!({})).unwrap_err());
        fields.sort();
        assert_eq!(fields, ["name", "slug"]);
    }

    #[test]
    fn sso_login_needs_start_url_and_region() {
        let fields = invalid_fields(
            parse(json!({"name": "A", "slug": "acme", "loginMode": "sso"})).unwrap_err(),
        );
        assert_eq!(fields, ["ssoStartUrl", "ssoRegion"]);
        let ok = parse(json!({
            "name": "A", "slug": "acme", "loginMode": "sso",
            "ssoStartUrl": "https://d-1234567890.awsapps.com/start", "ssoRegion": "eu-west-1"
        }));
        assert!(ok.is_ok());
    }

    #[test]
    fn email_domain_login_needs_a_domain() {
        let fields = invalid_fields(
            parse(json!({"name": "A", "slug": "acme", "loginMode": "email_domain"})).unwrap_err(),
        );
        assert_eq!(fields, ["emailDomain"]);
    }

    #[test]
    fn wrong_json_types_are_reported_per_field() {
        let mut fields = invalid_fields(
            parse(json!({"name": 5, "slug": "acme", "metadata": "x", "maxProjects": "3"}))
                .unwrap_err(),
        );
        fields.sort();
        assert_eq!(fields, ["maxProjects", "metadata", "name"]);
    }

    #[test]
    fn tenant_serializes_in_camel_case_with_nulls_for_unset_fields() {
        let fields = parse(json!({"name": "A", "slug": "acme"})).unwrap().fields;
        let tenant = Tenant {
            id: "tenant_x".into(),
            slug: "acme".into(),
            plan: "starter".into(),
            status: TenantStatus::Active,
            scope_id: "scope_x".into(),
            fields,
            suspended_reason: None,
            suspended_at: None,
            deleted_at: None,
            version: 1,
            created_at: "t".into(),
            updated_at: "t".into(),
        };
        let v = serde_json::to_value(&tenant).unwrap();
        assert_eq!(v["scopeId"], "scope_x");
        assert_eq!(v["loginMode"], "invite");
        assert!(v["ownerEmail"].is_null());
        assert_eq!(v["version"], 1);
    }
}

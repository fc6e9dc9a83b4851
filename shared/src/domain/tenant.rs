//! The tenant: its fields (one struct, read from JSON in one place), the resource the API
//! shows, the validated create request, and the rules of its life (suspend, activate,
//! delete, plan changes).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use super::input::{Problems, Reader};
use super::plans::{PlanCatalogue, PlanDirection};
use super::provisioning::{Provisioning, ProvisioningState};
use super::values::{
    bounded_text, identifier, metadata, nullable_text_schema, positive_limit, AwsExternalId,
    AwsRegion, DisplayName, DomainName, Email, HttpsUrl, IamRoleArn, Locale, ScopeId, Slug,
    TenantId, UserId, BOUNDED_TEXT_PATTERN, METADATA_MAX_KEYS, METADATA_MAX_KEY_CHARS,
};
use crate::error::ApiError;

/// What sort of customer a tenant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
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

/// The fields a client may change after creation (with PATCH). This struct is the one
/// list of them: its serde names are the API's and the storage's, and [`Self::from_json`]
/// (the only other place that names them) is also where [`Self::names`] comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantFields {
    pub name: DisplayName,
    #[schema(default = "standard")]
    pub kind: TenantKind,
    pub owner_email: Option<Email>,
    #[schema(schema_with = owner_name_schema)]
    pub owner_name: Option<String>,
    /// The owner's user id at the identity provider (printable ASCII, no spaces).
    #[schema(schema_with = owner_user_id_schema)]
    pub owner_user_id: Option<String>,
    pub billing_email: Option<Email>,
    pub technical_contact_email: Option<Email>,
    /// The platform's own id for this customer (printable ASCII, no spaces).
    #[schema(schema_with = external_id_schema)]
    pub external_id: Option<String>,
    pub locale: Option<Locale>,
    pub region: Option<AwsRegion>,
    #[schema(default = "invite")]
    pub login_mode: LoginMode,
    /// IAM Identity Center start URL; required when `loginMode` is `sso`.
    pub sso_start_url: Option<HttpsUrl>,
    pub sso_region: Option<AwsRegion>,
    pub email_domain: Option<DomainName>,
    pub aws_role_arn: Option<IamRoleArn>,
    /// The STS external id the platform assumes `awsRoleArn` with: drawn by the platform
    /// at create (`ext_` and 64 hex digits) for the customer's trust policy. Only platform
    /// admins change it: a value imports one, `null` draws a new one.
    pub aws_external_id: Option<AwsExternalId>,
    pub aws_region: Option<AwsRegion>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_users: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_workspaces: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_projects: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_environments: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub data_retention_days: Option<u32>,
    /// Free-form JSON object: at most 50 keys of 1-128 characters, 8 KiB serialized.
    #[schema(schema_with = metadata_schema)]
    pub metadata: Option<Map<String, Value>>,
    /// The tenant's own grants of plan features, which replace its plan's and survive
    /// plan changes: feature name → `true`/`false` (boolean features), a whole number
    /// (limits, values) or `"unlimited"`. The limit fields above are the overrides of the
    /// features of their names. Only platform admins change them; `null` clears one.
    #[serde(default)]
    #[schema(schema_with = overrides_schema)]
    pub overrides: std::collections::BTreeMap<String, Value>,
}

fn overrides_schema() -> RefOr<Schema> {
    let value = utoipa::openapi::schema::OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(super::entitlements::catalogue::MAX_AMOUNT as f64)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["unlimited"])),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Per-tenant grants of plan features (GET /v1/plans lists them), replacing the plan's: true/false, a whole number, or \"unlimited\". In a PATCH, null removes one.",
        ))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Za-z][A-Za-z0-9]{0,63}$")),
        ))
        .additional_properties(Some(Schema::OneOf(value.build())))
        .max_properties(Some(50))
        .examples([serde_json::json!({"sso": true, "apiCalls": 250000})])
        .into()
}

fn owner_name_schema() -> RefOr<Schema> {
    nullable_text_schema(
        BOUNDED_TEXT_PATTERN,
        (1, 200),
        "Ada Owner",
        "The owner's name.",
    )
}

fn owner_user_id_schema() -> RefOr<Schema> {
    nullable_text_schema(
        r"^[!-~]{1,128}$",
        (1, 128),
        "auth0|5f7c8e",
        "The owner's user id.",
    )
}

fn external_id_schema() -> RefOr<Schema> {
    nullable_text_schema(
        r"^[!-~]{1,256}$",
        (1, 256),
        "crm-4711",
        "The platform's own id.",
    )
}

fn metadata_schema() -> RefOr<Schema> {
    let key = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(METADATA_MAX_KEY_CHARS));
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .description(Some(
            "Free-form JSON object: at most 50 keys of 1-128 characters, 8 KiB serialized.",
        ))
        .property_names(Some(key))
        .max_properties(Some(METADATA_MAX_KEYS))
        .examples([serde_json::json!({"crm": "hubspot", "seats": 12})])
        .into()
}

/// Body fields a client may set only when creating a tenant.
pub const CREATE_ONLY_FIELDS: [&str; 4] = ["id", "slug", "plan", "initialAdminUserIds"];

/// Most initial admins a create may name.
pub const MAX_INITIAL_ADMINS: usize = 20;

/// Fields only the server writes.
pub const READ_ONLY_FIELDS: [&str; 10] = [
    "currentUserRoles",
    "provisioning",
    "status",
    "scopeId",
    "version",
    "createdAt",
    "updatedAt",
    "suspendedReason",
    "suspendedAt",
    "deletedAt",
];

/// Mutable fields that only some callers may change: a PATCH that changes one of a group's
/// fields asks the policies for the group's own permission as well (the policies name who
/// may; a value sent back unchanged asks nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedFields {
    /// Whom the platform mails as the tenant's owner.
    Owner,
    /// What the tenant is entitled to: its limits and plan-like fields.
    Limits,
    /// The STS external id the platform assumes the tenant's role with.
    AwsExternalId,
}

impl GuardedFields {
    /// Every group.
    pub const ALL: [Self; 3] = [Self::Owner, Self::Limits, Self::AwsExternalId];

    /// The body names of the group's fields.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Owner => &["ownerEmail", "ownerName", "ownerUserId"],
            Self::Limits => &[
                "maxUsers",
                "maxWorkspaces",
                "maxProjects",
                "maxEnvironments",
                "dataRetentionDays",
                "kind",
                "overrides",
            ],
            Self::AwsExternalId => &["awsExternalId"],
        }
    }
}

impl TenantFields {
    /// The guarded groups with a field that differs between `self` and `next`.
    pub fn guarded_changes(&self, next: &Self) -> Vec<GuardedFields> {
        let (before, after) = (self.to_json(), next.to_json());
        GuardedFields::ALL
            .into_iter()
            .filter(|group| {
                group
                    .fields()
                    .iter()
                    .any(|field| before.get(*field) != after.get(*field))
            })
            .collect()
    }

    /// The body names of the mutable fields, in order: the fields [`Self::from_json`]
    /// reads (a test checks they are exactly the struct's).
    pub fn names() -> &'static [&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| {
            let (empty, mut problems) = (Map::new(), Problems::default());
            let mut reader = Reader::new(&empty, &mut problems);
            Self::read(&mut reader);
            reader.into_fields_read()
        })
    }

    /// Validates the mutable fields of `body`, recording every problem in `problems`.
    /// Fields outside [`Self::names`] are ignored here; callers reject them.
    pub fn from_json(body: &Map<String, Value>, problems: &mut Problems) -> Option<Self> {
        Self::read(&mut Reader::new(body, problems))
    }

    fn read(r: &mut Reader<'_>) -> Option<Self> {
        let before = r.problems.len();
        let name = r.text("name", DisplayName::parse);
        r.require("name");
        let kind = r.text("kind", TenantKind::parse).unwrap_or_default();
        let owner_email = r.text("ownerEmail", Email::parse);
        let owner_name = r.text("ownerName", |s| bounded_text(s, 1, 200));
        let owner_user_id = r.text("ownerUserId", |s| identifier(s, 128));
        let billing_email = r.text("billingEmail", Email::parse);
        let technical_contact_email = r.text("technicalContactEmail", Email::parse);
        let external_id = r.text("externalId", |s| identifier(s, 256));
        let locale = r.text("locale", Locale::parse);
        let region = r.text("region", AwsRegion::parse);
        let login_mode = r.text("loginMode", LoginMode::parse).unwrap_or_default();
        let sso_start_url = r.text("ssoStartUrl", HttpsUrl::parse);
        let sso_region = r.text("ssoRegion", AwsRegion::parse);
        let email_domain = r.text("emailDomain", DomainName::parse);
        let aws_role_arn = r.text("awsRoleArn", IamRoleArn::parse);
        let aws_external_id = r.text("awsExternalId", AwsExternalId::parse);
        let aws_region = r.text("awsRegion", AwsRegion::parse);
        let max_users = r.value("maxUsers", positive_limit);
        let max_workspaces = r.value("maxWorkspaces", positive_limit);
        let max_projects = r.value("maxProjects", positive_limit);
        let max_environments = r.value("maxEnvironments", positive_limit);
        let data_retention_days = r.value("dataRetentionDays", positive_limit);
        let metadata = r.value("metadata", metadata);
        let overrides = r
            .value("overrides", super::entitlements::effective::overrides_field)
            .unwrap_or_default();

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

        if r.problems.len() > before {
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
            overrides,
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

    /// Refuses a move to `loginMode: sso` (from `before`, or at create) on a plan that, with
    /// the overrides, does not grant the `sso` feature (when the catalogue has one). A
    /// tenant already signing in with SSO keeps it whatever its plan.
    pub fn require_sso_grant(
        &self,
        catalogue: &PlanCatalogue,
        plan: &str,
        before: Option<&Self>,
    ) -> Result<(), ApiError> {
        let moving = self.login_mode == LoginMode::Sso
            && before.is_none_or(|b| b.login_mode != LoginMode::Sso);
        let Some(feature) = catalogue.feature("sso").filter(|_| moving) else {
            return Ok(());
        };
        let granted = super::entitlements::effective::effective(catalogue, plan, self, feature)
            .grant
            .is_granted();
        if granted {
            return Ok(());
        }
        Err(ApiError::NotInPlan {
            feature: "sso".to_owned(),
            message: format!(
                "loginMode 'sso' needs the sso feature, which plan '{plan}' does not grant: upgrade the plan, or have a platform admin set overrides.sso to true"
            ),
        })
    }
}

/// A tenant as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub slug: Slug,
    pub plan: String,
    pub status: TenantStatus,
    pub scope_id: ScopeId,
    #[serde(flatten)]
    pub fields: TenantFields,
    pub suspended_reason: Option<String>,
    pub suspended_at: Option<String>,
    pub deleted_at: Option<String>,
    /// What happens after the create: the blueprint's resources being made (or removed,
    /// after a delete). Read-only.
    #[serde(default)]
    pub provisioning: Provisioning,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The resources, the owner's invitation and the running steps: stored with the
    /// tenant, never shown with it (`GET .../resources` lists the resources).
    #[serde(skip)]
    pub provisioning_state: ProvisioningState,
}

impl Tenant {
    /// The tenant a validated create request makes at `now`: active, version 1, with a
    /// fresh scope (and a fresh id unless the request names one).
    pub fn create(new: &NewTenant, now: &str) -> Self {
        Self {
            id: new.id.clone().unwrap_or_else(TenantId::generate),
            slug: new.slug.clone(),
            plan: new.plan.clone(),
            status: TenantStatus::Active,
            scope_id: ScopeId::generate(),
            fields: new.fields.clone(),
            suspended_reason: None,
            suspended_at: None,
            deleted_at: None,
            provisioning: Provisioning::default(),
            version: 1,
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            provisioning_state: ProvisioningState::default(),
        }
    }

    /// `invalid_state` if the tenant is deleted: deleted tenants cannot be `done`.
    pub fn ensure_not_deleted(&self, done: &str) -> Result<(), ApiError> {
        if self.status == TenantStatus::Deleted {
            Err(ApiError::InvalidState(format!(
                "tenant '{}' is deleted and cannot be {done}",
                self.id
            )))
        } else {
            Ok(())
        }
    }

    /// The tenant with `fields`, or `None` if they are what it has.
    pub fn with_fields(&self, fields: TenantFields) -> Result<Option<Self>, ApiError> {
        self.ensure_not_deleted("updated")?;
        Ok((fields != self.fields).then(|| Self {
            fields,
            ..self.clone()
        }))
    }

    /// The tenant moved to `plan`, which must lie in `direction` from its current plan.
    pub fn with_plan(
        &self,
        plans: &PlanCatalogue,
        direction: PlanDirection,
        plan: &str,
    ) -> Result<Option<Self>, ApiError> {
        self.ensure_not_deleted(&format!("{direction}d"))?;
        plans
            .check_change(direction, &self.plan, plan)
            .map_err(ApiError::InvalidPlanChange)?;
        Ok(Some(Self {
            plan: plan.to_owned(),
            ..self.clone()
        }))
    }

    /// The tenant suspended at `now` for `reason`; suspending a suspended tenant changes
    /// nothing.
    pub fn suspended(&self, reason: Option<String>, now: &str) -> Result<Option<Self>, ApiError> {
        match self.status {
            TenantStatus::Deleted => self.ensure_not_deleted("suspended").map(|_| None),
            TenantStatus::Suspended => Ok(None),
            TenantStatus::Active => Ok(Some(Self {
                status: TenantStatus::Suspended,
                suspended_reason: reason,
                suspended_at: Some(now.to_owned()),
                ..self.clone()
            })),
        }
    }

    /// The tenant active again; activating an active tenant changes nothing.
    pub fn activated(&self) -> Result<Option<Self>, ApiError> {
        match self.status {
            TenantStatus::Deleted => self.ensure_not_deleted("activated").map(|_| None),
            TenantStatus::Active => Ok(None),
            TenantStatus::Suspended => Ok(Some(Self {
                status: TenantStatus::Active,
                suspended_reason: None,
                suspended_at: None,
                ..self.clone()
            })),
        }
    }

    /// The tenant soft-deleted at `now`; deleting a deleted tenant changes nothing.
    pub fn deleted(&self, now: &str) -> Option<Self> {
        (self.status != TenantStatus::Deleted).then(|| Self {
            status: TenantStatus::Deleted,
            deleted_at: Some(now.to_owned()),
            ..self.clone()
        })
    }
}

/// What `If-Match` asks for: the versions a change may apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header, or `*`: any current version.
    Any,
    /// One of these versions.
    Versions(Vec<i64>),
}

impl IfMatch {
    /// Whether `version` satisfies the precondition.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
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
    pub initial_admin_user_ids: Vec<UserId>,
}

impl NewTenant {
    /// Validates a create body, listing every invalid or unknown field.
    pub fn from_json(body: &Map<String, Value>, plans: &PlanCatalogue) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        for key in body.keys() {
            let key = key.as_str();
            if !TenantFields::names().contains(&key) && !CREATE_ONLY_FIELDS.contains(&key) {
                problems.add(
                    key,
                    if READ_ONLY_FIELDS.contains(&key) {
                        "is set by the server and cannot be written"
                    } else {
                        "is not a known field"
                    },
                );
            }
        }
        let mut r = Reader::new(body, &mut problems);
        let id = r.text("id", TenantId::parse);
        let slug = r.text("slug", Slug::parse);
        r.require("slug");
        let plan = r.text("plan", |p| {
            if plans.contains(p) {
                Ok(p.to_owned())
            } else {
                Err(format!("must be one of: {}", plans.plans().join(", ")))
            }
        });
        let initial_admin_user_ids = initial_admins(body.get("initialAdminUserIds"), &mut problems);
        let fields = TenantFields::from_json(body, &mut problems);
        if let Some(fields) = &fields {
            super::entitlements::effective::check_overrides(
                plans,
                &fields.overrides,
                &mut problems,
            );
        }
        let new = slug.zip(fields).map(|(slug, fields)| Self {
            id,
            slug,
            plan: plan.unwrap_or_else(|| plans.default_plan().to_owned()),
            fields,
            initial_admin_user_ids,
        });
        let new = problems.require(new)?;
        new.fields.require_sso_grant(plans, &new.plan, None)?;
        Ok(new)
    }
}

/// `initialAdminUserIds`: up to [`MAX_INITIAL_ADMINS`] distinct user ids.
fn initial_admins(value: Option<&Value>, problems: &mut Problems) -> Vec<UserId> {
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
    let mut ids: Vec<UserId> = Vec::with_capacity(items.len());
    for item in items {
        match item.as_str().map(UserId::parse) {
            Some(Ok(id)) if ids.contains(&id) => {
                problems.add(FIELD, format!("names '{id}' twice"));
                return Vec::new();
            }
            Some(Ok(id)) => ids.push(id),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plans::{DEFAULT_CATALOGUE, DEFAULT_PLAN};
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
        assert_eq!(t.fields.name.as_str(), "Acme");
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
            fields,
            ..Tenant::create(&parse(json!({"name": "A", "slug": "acme"})).unwrap(), "t")
        };
        let v = serde_json::to_value(&tenant).unwrap();
        assert_eq!(v["scopeId"], tenant.scope_id.as_str());
        assert_eq!(v["loginMode"], "invite");
        assert!(v["ownerEmail"].is_null());
        assert_eq!(v["version"], 1);
    }

    #[test]
    fn the_mutable_field_list_is_exactly_the_structs_fields() {
        let fields = parse(json!({"name": "A", "slug": "acme"})).unwrap().fields;
        let Value::Object(serialized) = serde_json::to_value(&fields).unwrap() else {
            panic!("fields serialize as an object")
        };
        let mut from_struct: Vec<&str> = serialized.keys().map(String::as_str).collect();
        let mut read: Vec<&str> = TenantFields::names().to_vec();
        from_struct.sort_unstable();
        read.sort_unstable();
        assert_eq!(read, from_struct);
        assert_eq!(read.len(), 24);
    }

    #[test]
    fn guarded_groups_name_mutable_fields_and_report_only_real_changes() {
        for group in GuardedFields::ALL {
            for field in group.fields() {
                assert!(TenantFields::names().contains(field), "{field}");
            }
        }
        let fields = parse(json!({"name": "A", "slug": "acme", "maxUsers": 5}))
            .unwrap()
            .fields;
        assert!(fields.guarded_changes(&fields.clone()).is_empty());
        let mut next = fields.clone();
        next.name = DisplayName::parse("B").unwrap();
        next.locale = Some(Locale::parse("fr").unwrap());
        assert!(fields.guarded_changes(&next).is_empty(), "free fields");
        next.owner_name = Some("Eve".into());
        next.max_users = None;
        next.aws_external_id = Some(AwsExternalId::parse("chosen").unwrap());
        assert_eq!(fields.guarded_changes(&next), GuardedFields::ALL);
        let mut kind = fields.clone();
        kind.kind = TenantKind::Enterprise;
        assert_eq!(fields.guarded_changes(&kind), [GuardedFields::Limits]);
    }

    #[test]
    fn lifecycle_rules_allow_only_real_changes() {
        let tenant = Tenant::create(&parse(json!({"name": "A", "slug": "acme"})).unwrap(), "t0");
        let suspended = tenant
            .suspended(Some("unpaid".into()), "t1")
            .unwrap()
            .unwrap();
        assert_eq!(suspended.status, TenantStatus::Suspended);
        assert!(
            suspended.suspended(None, "t2").unwrap().is_none(),
            "idempotent"
        );
        let active = suspended.activated().unwrap().unwrap();
        assert_eq!(active.suspended_reason, None);
        assert!(active.activated().unwrap().is_none());
        let deleted = active.deleted("t3").unwrap();
        assert!(deleted.deleted("t4").is_none());
        for err in [
            deleted.suspended(None, "t5").unwrap_err(),
            deleted.activated().unwrap_err(),
            deleted.with_fields(tenant.fields.clone()).unwrap_err(),
        ] {
            assert_eq!(err.code(), "invalid_state");
        }
    }
}

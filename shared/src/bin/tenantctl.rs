//! `tenantctl`: bootstraps credentials for the tenant API.
//!
//! ```text
//! tenantctl token [--sub ID] [--role ROLE]... [--tenant TENANT_ID] [--email ADDRESS] [--ttl SECONDS]
//!     Mints an HS256 bearer token from JWT_ISSUER, JWT_AUDIENCE and JWT_HS256_SECRET
//!     (and JWT_ROLES_CLAIM / JWT_TENANT_CLAIM). Defaults: --sub dev-admin
//!     --role platform_admin --ttl 3600. --email adds a verified email claim (and no default role).
//!
//! tenantctl create-api-key --name NAME [--role ROLE]... [--tenant TENANT_ID]
//!     Writes an API key straight into TABLE_NAME (DYNAMODB_ENDPOINT, AWS_REGION and the
//!     AWS_* credentials come from the environment) and prints it. This is how the first
//!     platform-admin credential is made, before any exists to call the API with.
//!     Defaults: --role platform_admin.
//!
//! tenantctl openapi
//!     Prints the OpenAPI document (`make openapi` writes it to `openapi.json`).
//!
//! tenantctl enrol-domains
//!     Puts the verified email domains of TABLE_NAME that were verified before scheduled
//!     re-verification existed in its queue (a scan of the whole table, once) and prints
//!     how many.
//! ```
//!
//! The token, key or document is the only thing printed on stdout, so `$(tenantctl ...)`
//! captures it.

use std::process::ExitCode;

use serde_json::{json, Value};
use tenant_shared::auth::jwt::{mint_hs256, DevClaims};
use tenant_shared::domain::event::{Actor, ActorKind, Origin};
use tenant_shared::domain::Role;
use tenant_shared::service::api_keys;
use tenant_shared::{App, Config};

const USAGE: &str = "usage:
  tenantctl token [--sub ID] [--role ROLE]... [--tenant TENANT_ID] [--email ADDRESS] [--ttl SECONDS]
  tenantctl create-api-key --name NAME [--role ROLE]... [--tenant TENANT_ID]
  tenantctl openapi
  tenantctl enrol-domains
roles: platform_admin, tenant_admin, tenant_member, login_service, provisioner";

/// Parsed command-line options.
#[derive(Debug, Default)]
struct Options {
    sub: Option<String>,
    name: Option<String>,
    roles: Vec<Role>,
    tenant: Option<String>,
    ttl: Option<i64>,
    email: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--sub" => options.sub = Some(value()?),
            "--name" => options.name = Some(value()?),
            "--tenant" => options.tenant = Some(value()?),
            "--role" => {
                let name = value()?;
                options
                    .roles
                    .push(Role::parse(&name).ok_or_else(|| format!("unknown role {name}"))?);
            }
            "--email" => options.email = Some(value()?),
            "--ttl" => {
                let text = value()?;
                options.ttl = Some(
                    text.parse::<i64>()
                        .ok()
                        .filter(|t| *t > 0)
                        .ok_or_else(|| format!("--ttl must be a positive number, not {text}"))?,
                );
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    // A token for an email user holds no role unless asked: its email admits it.
    if options.roles.is_empty() && options.email.is_none() {
        options.roles.push(Role::PlatformAdmin);
    }
    Ok(options)
}

fn token(options: &Options) -> Result<String, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let settings = config
        .jwt
        .ok_or("JWT_ISSUER is not set: bearer tokens are not configured")?;
    mint_hs256(
        &settings,
        &DevClaims {
            sub: options.sub.as_deref().unwrap_or("dev-admin"),
            roles: &options.roles,
            tenant_id: options.tenant.as_deref(),
            expires_in: options.ttl.unwrap_or(3600),
            email: options.email.as_deref().map(|e| (e, true)),
        },
    )
}

async fn create_api_key(options: &Options) -> Result<String, String> {
    let name = options.name.as_deref().ok_or("--name is required")?;
    let app = App::from_env().map_err(|e| e.to_string())?;
    let mut body = json!({
        "name": name,
        "roles": options.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    });
    if let (Some(tenant), Value::Object(map)) = (&options.tenant, &mut body) {
        map.insert("tenantId".into(), Value::String(tenant.clone()));
    }
    let Value::Object(body) = body else {
        return Err("internal: body is not an object".into());
    };
    // The bootstrap key's event names tenantctl as its actor (there is no caller yet).
    let origin = Origin {
        actor: Actor {
            kind: ActorKind::User,
            id: "tenantctl".to_owned(),
        },
        request_id: format!("tenantctl-{}", uuid::Uuid::now_v7()),
    };
    let created = api_keys::create(&app, &body, &origin)
        .await
        .map_err(|e| format!("{}: {}", e.code(), e.public_message()))?;
    eprintln!(
        "created API key {} ({}) in table {}; it is shown only now",
        created.view.id,
        created.view.roles.join(", "),
        app.store.table()
    );
    Ok(created.key)
}

async fn enrol_domains() -> Result<String, String> {
    let app = App::from_env().map_err(|e| e.to_string())?;
    let enrolled = tenant_shared::service::domains::enrol_unscheduled(&app)
        .await
        .map_err(|e| format!("{}: {}", e.code(), e.public_message()))?;
    eprintln!(
        "enrolled {enrolled} verified domains of table {} for re-verification",
        app.store.table()
    );
    Ok(enrolled.to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let options = match parse(rest) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("tenantctl: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "token" => token(&options),
        "create-api-key" => create_api_key(&options).await,
        "enrol-domains" => enrol_domains().await,
        "openapi" => Ok(tenant_shared::http::openapi::document_text()
            .trim_end()
            .to_owned()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(secret) => {
            println!("{secret}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tenantctl: {e}");
            ExitCode::FAILURE
        }
    }
}

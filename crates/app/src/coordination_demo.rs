//! The demo's downstream vendors: three fictional Chinese vendors — illustrative, not
//! real companies, marked as such in their names — whose products bundle log4j-core.
//! MIIT's analyst adds them to the Log4Shell case when the demo loads (so their times
//! are the time of loading: the record of what they said is the platform's own), and
//! each answers: one fixed, one not affected (with its VEX justification), one
//! affected with a private note to the platform that the bulletin, the CSAF advisory
//! and the OSV export never carry.

use chrono::{TimeZone, Utc};
use vulnrelay_domain::{Jurisdiction, Role};
use vulnrelay_store::{Organisation, Status, Store};

use crate::App;
use crate::caller::Caller;
use crate::coordination::{
    NewParticipant, NewProduct, StatusInput, add_participants, product_id, set_status,
};
use crate::error::Error;

/// A demo vendor: organisation id, name, its PSIRT's e-mail, its product and version,
/// and its answer on CVE-2021-44228 (status, justification, fixed version, statement,
/// private note).
pub struct DemoVendor {
    /// Organisation id.
    pub org: &'static str,
    /// Its name (marked illustrative).
    pub name: &'static str,
    /// The e-mail of its vendor contact.
    pub email: &'static str,
    /// Its product that bundles log4j-core.
    pub product: &'static str,
    /// The product's version.
    pub version: &'static str,
    /// Its status on CVE-2021-44228.
    pub status: &'static str,
    /// The VEX justification (with `not_affected`).
    pub justification: Option<&'static str>,
    /// The fixed version (with `fixed`).
    pub fixed_version: Option<&'static str>,
    /// Its public statement.
    pub statement: &'static str,
    /// Its private note to the platform.
    pub private_note: Option<&'static str>,
}

/// The demo's vendors.
pub const VENDORS: &[DemoVendor] = &[
    DemoVendor {
        org: "demo-erp-vendor",
        name: "Example ERP Software Co. (示例ERP软件公司) [illustrative]",
        email: "psirt@erp-vendor.example",
        product: "Example ERP Suite",
        version: "5.2",
        status: "fixed",
        justification: None,
        fixed_version: Some("5.2.1"),
        statement: "Example ERP Suite 5.2.1 bundles log4j-core 2.17.1; customers on 5.2 should upgrade. [illustrative]",
        private_note: None,
    },
    DemoVendor {
        org: "demo-gateway-vendor",
        name: "Example IoT Gateway Maker (示例物联网网关厂商) [illustrative]",
        email: "psirt@gateway-vendor.example",
        product: "Gateway Console",
        version: "3.0",
        status: "not_affected",
        justification: Some("vulnerable_code_not_in_execute_path"),
        fixed_version: None,
        statement: "Gateway Console logs only fixed strings; no attacker input reaches log4j-core. [illustrative]",
        private_note: None,
    },
    DemoVendor {
        org: "demo-oa-vendor",
        name: "Example Office Automation Vendor (示例办公自动化厂商) [illustrative]",
        email: "psirt@oa-vendor.example",
        product: "OA Platform",
        version: "8",
        status: "affected",
        justification: None,
        fixed_version: None,
        statement: "A fix is in preparation; meanwhile set log4j2.formatMsgNoLookups=true. [illustrative]",
        private_note: Some(
            "Our largest customers are two provincial grids; we will call them first. [illustrative, private]",
        ),
    },
];

/// The demo vendors' organisations.
pub fn organisations() -> Vec<Organisation> {
    VENDORS
        .iter()
        .map(|v| Organisation {
            id: v.org.into(),
            name: v.name.into(),
            name_zh: None,
            roles: vec![Role::ProductProvider],
            jurisdiction: Jurisdiction::CN,
            individual: false,
            status: Status::Active,
            created_at: Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).single().unwrap_or_default(),
        })
        .collect()
}

/// MIIT's analyst adds the vendors to the case; each answers on CVE-2021-44228.
pub async fn story(
    state: &App,
    store: &std::sync::Arc<dyn Store>,
    analyst: &Caller,
    case_id: &str,
    account_of: impl Fn(&str) -> String,
) -> Result<(), Error> {
    let vendors = VENDORS
        .iter()
        .map(|v| NewParticipant {
            org: v.org.into(),
            products: vec![NewProduct {
                name: v.product.into(),
                version: Some(v.version.into()),
                purl: None,
            }],
        })
        .collect();
    let message =
        "Your product bundles log4j-core: tell the platform how CVE-2021-44228 stands for it. [illustrative]";
    add_participants(state, analyst, case_id, vendors, Some(message.into())).await?;
    for v in VENDORS {
        let vendor = Caller { account: Some(store.account(&account_of(v.email)).await?) };
        let input = StatusInput {
            product: product_id(v.org, v.product),
            vulnerability: "CVE-2021-44228".into(),
            status: v.status.into(),
            justification: v.justification.map(Into::into),
            fixed_version: v.fixed_version.map(Into::into),
            statement: Some(v.statement.into()),
            private_note: v.private_note.map(Into::into),
        };
        set_status(state, &vendor, case_id, input).await?;
    }
    Ok(())
}

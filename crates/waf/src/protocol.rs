//! Scoring table for protocol and parser anomalies (found in code by the parsers
//! and the engine). Kept as a table so ids, weights and levels are reviewable in
//! one place.

use crate::rules::Severity;

/// One protocol finding kind.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolRule {
    /// Anomaly code emitted by the parser.
    pub code: &'static str,
    /// Rule id reported in matches.
    pub id: &'static str,
    /// Weight.
    pub severity: Severity,
    /// Paranoia level.
    pub paranoia: u8,
    /// Category reported.
    pub category: &'static str,
}

use Severity::*;

/// The table. Codes not listed are reported as anomalies but not scored.
pub const PROTOCOL_RULES: &[ProtocolRule] = &[
    ProtocolRule {
        code: "bad_method",
        id: "WAF-PROTO-001",
        severity: Critical,
        paranoia: 1,
        category: "method-enforcement",
    },
    ProtocolRule {
        code: "invalid_method",
        id: "WAF-PROTO-002",
        severity: Critical,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "bad_http_version",
        id: "WAF-PROTO-003",
        severity: Error,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "cl_and_te",
        id: "WAF-PROTO-010",
        severity: Critical,
        paranoia: 1,
        category: "protocol-attack",
    },
    ProtocolRule {
        code: "invalid_transfer_encoding",
        id: "WAF-PROTO-011",
        severity: Critical,
        paranoia: 1,
        category: "protocol-attack",
    },
    ProtocolRule {
        code: "invalid_content_length",
        id: "WAF-PROTO-012",
        severity: Critical,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "header_crlf",
        id: "WAF-PROTO-013",
        severity: Critical,
        paranoia: 1,
        category: "protocol-attack",
    },
    ProtocolRule {
        code: "invalid_header_name",
        id: "WAF-PROTO-014",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "header_control_chars",
        id: "WAF-PROTO-015",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "missing_host",
        id: "WAF-PROTO-020",
        severity: Warning,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "duplicate_host",
        id: "WAF-PROTO-021",
        severity: Critical,
        paranoia: 1,
        category: "protocol-attack",
    },
    ProtocolRule {
        code: "empty_host",
        id: "WAF-PROTO-022",
        severity: Warning,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "host_is_ip",
        id: "WAF-PROTO-023",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "empty_user_agent",
        id: "WAF-PROTO-024",
        severity: Notice,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "body_on_get",
        id: "WAF-PROTO-025",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "missing_content_type",
        id: "WAF-PROTO-026",
        severity: Notice,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "charset_not_allowed",
        id: "WAF-PROTO-027",
        severity: Critical,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "range_abuse",
        id: "WAF-PROTO-028",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "invalid_percent_path",
        id: "WAF-PROTO-030",
        severity: Warning,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "invalid_percent_args",
        id: "WAF-PROTO-031",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "invalid_utf8_args",
        id: "WAF-PROTO-032",
        severity: Warning,
        paranoia: 3,
        category: "protocol",
    },
    ProtocolRule {
        code: "invalid_utf8_body",
        id: "WAF-PROTO-033",
        severity: Warning,
        paranoia: 3,
        category: "protocol",
    },
    ProtocolRule {
        code: "overlong_utf8",
        id: "WAF-PROTO-034",
        severity: Critical,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "null_byte",
        id: "WAF-PROTO-035",
        // No text field carries a NUL; C back ends truncate at it.
        severity: Critical,
        paranoia: 1,
        category: "protocol",
    },
    ProtocolRule {
        code: "multi_encoded",
        id: "WAF-PROTO-036",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "limit_args",
        id: "WAF-PROTO-040",
        severity: Critical,
        paranoia: 1,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_headers",
        id: "WAF-PROTO-041",
        severity: Critical,
        paranoia: 1,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_header_size",
        id: "WAF-PROTO-042",
        severity: Warning,
        paranoia: 2,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_body",
        id: "WAF-PROTO-043",
        severity: Critical,
        paranoia: 1,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_value",
        id: "WAF-PROTO-044",
        severity: Notice,
        paranoia: 2,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_depth",
        id: "WAF-PROTO-045",
        severity: Critical,
        paranoia: 1,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_parts",
        id: "WAF-PROTO-046",
        severity: Critical,
        paranoia: 1,
        category: "limits",
    },
    ProtocolRule {
        code: "limit_uri",
        id: "WAF-PROTO-047",
        severity: Warning,
        paranoia: 1,
        category: "limits",
    },
    ProtocolRule {
        code: "multipart_invalid_boundary",
        id: "WAF-PROTO-050",
        severity: Critical,
        paranoia: 1,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_unclosed",
        id: "WAF-PROTO-051",
        severity: Error,
        paranoia: 2,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_malformed",
        id: "WAF-PROTO-052",
        severity: Critical,
        paranoia: 1,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_duplicate_param",
        id: "WAF-PROTO-053",
        severity: Critical,
        paranoia: 1,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_charset",
        id: "WAF-PROTO-054",
        severity: Critical,
        paranoia: 1,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_transfer_encoding",
        id: "WAF-PROTO-055",
        severity: Critical,
        paranoia: 1,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_nested",
        id: "WAF-PROTO-056",
        severity: Warning,
        paranoia: 2,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_unquoted_param",
        id: "WAF-PROTO-057",
        severity: Warning,
        paranoia: 2,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_filename_star",
        id: "WAF-PROTO-058",
        severity: Critical,
        paranoia: 1,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_lf_line_endings",
        id: "WAF-PROTO-059",
        severity: Notice,
        paranoia: 3,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_no_disposition",
        id: "WAF-PROTO-060",
        severity: Warning,
        paranoia: 2,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_no_boundary_in_body",
        id: "WAF-PROTO-061",
        severity: Warning,
        paranoia: 2,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_epilogue",
        id: "WAF-PROTO-062",
        severity: Notice,
        paranoia: 3,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "multipart_preamble",
        id: "WAF-PROTO-063",
        severity: Notice,
        paranoia: 3,
        category: "multipart-attack",
    },
    ProtocolRule {
        code: "json_invalid",
        id: "WAF-PROTO-070",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "xml_invalid",
        id: "WAF-PROTO-071",
        severity: Warning,
        paranoia: 2,
        category: "protocol",
    },
    ProtocolRule {
        code: "xml_doctype",
        id: "WAF-XXE-001",
        severity: Critical,
        paranoia: 1,
        category: "xxe",
    },
    ProtocolRule {
        code: "xml_entity_reference",
        id: "WAF-XXE-002",
        severity: Critical,
        paranoia: 1,
        category: "xxe",
    },
];

/// Look up the scoring entry for an anomaly code.
pub fn lookup(code: &str) -> Option<&'static ProtocolRule> {
    PROTOCOL_RULES.iter().find(|r| r.code == code)
}

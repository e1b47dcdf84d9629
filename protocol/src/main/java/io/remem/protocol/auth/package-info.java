/**
 * Who may do what, as bytes: SCRAM-SHA-256 for tenants, HMAC session tokens, replica capabilities and dataset
 * grants, node keys and their signatures, and secrets that are never logged (docs/security.md).
 */
package io.remem.protocol.auth;

/**
 * The controller: memory nodes and their health, slabs and where their replicas are, tenants, leases and named
 * datasets, all under one lock and journaled before they are acknowledged; placement and repair
 * (docs/design.md, "The controller" and "Fault tolerance").
 */
package io.remem.controller;

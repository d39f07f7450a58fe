"""Test support shared by the workspace's tests, scripts and benchmarks (a dev-only
package: no service depends on it): the real infrastructure (:mod:`bourse.testing.infra`),
an app in-process (:mod:`bourse.testing.app`), polling (:mod:`bourse.testing.polling`),
real tokens (:mod:`bourse.testing.auth`) and applying messages as a consumer would
(:mod:`bourse.testing.messaging`)."""

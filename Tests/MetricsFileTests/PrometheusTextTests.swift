import Testing

@testable import MetricsFile

/// The exposition format's lines, escapes and numbers.
struct PrometheusTextTests {
    @Test func aFamilyIsHelpTypeAndOneLinePerSample() {
        var text = PrometheusText()
        text.family(
            "keyrotd_rotations_total",
            .counter,
            help: "Completed rotations.",
            [.init([("resource", "a"), ("type", "storage")], 3), .init([("resource", "b"), ("type", "redis")], 0)]
        )
        #expect(
            text.text == """
                # HELP keyrotd_rotations_total Completed rotations.
                # TYPE keyrotd_rotations_total counter
                keyrotd_rotations_total{resource="a",type="storage"} 3
                keyrotd_rotations_total{resource="b",type="redis"} 0

                """
        )
    }

    @Test func aFamilyWithoutSamplesIsLeftOut() {
        var text = PrometheusText()
        text.family("keyrotd_key_age_seconds", .gauge, help: "Age.", [])
        #expect(text.text.isEmpty)
    }

    @Test func labelValuesAndHelpAreEscaped() {
        var text = PrometheusText()
        text.family("m", .gauge, help: "a \\ b\nc", [.init([("resource", "q\"uote\\back\nline")], 1)])
        #expect(text.text.contains(#"# HELP m a \\ b\nc"#))
        #expect(text.text.contains(#"m{resource="q\"uote\\back\nline"} 1"#))
        #expect(text.text.split(separator: "\n").count == 3, "an escaped line feed starts no line")
    }

    @Test(arguments: [
        (0.0, "0"), (42, "42"), (-3, "-3"), (1_796_212_345.25, "1796212345.25"), (0.5, "0.5"), (.nan, "NaN"), (.infinity, "+Inf"),
        (-.infinity, "-Inf"), (1e20, "1e+20"),
    ])
    func numbersAreWrittenAsPrometheusReadsThem(value: Double, written: String) {
        #expect(PrometheusText.format(value) == written)
    }

    @Test(arguments: [("keyrotd_waiting", true), ("a:b_c9", true), ("_x", true), ("9lives", false), ("bad-name", false), ("", false), ("é", false)])
    func metricNamesFollowPrometheusRules(name: String, valid: Bool) {
        #expect(PrometheusText.isValidName(name) == valid)
    }
}

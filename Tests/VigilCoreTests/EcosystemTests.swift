import Testing
import VigilCore

struct EcosystemTests {
    @Test(arguments: [
        ("Debian:12", "Debian", "12"),
        ("Ubuntu:Pro:18.04:LTS", "Ubuntu", "Pro:18.04:LTS"),
        ("Alpine:v3.19", "Alpine", "v3.19"),
        ("PyPI", "PyPI", nil),
        ("Red Hat:enterprise_linux:9::appstream", "Red Hat", "enterprise_linux:9::appstream"),
        ("Go:", "Go", nil),
    ] as [(String, String, String?)])
    func splitsAtTheFirstColon(_ text: String, _ name: String, _ release: String?) {
        let ecosystem = Ecosystem(text)
        #expect(ecosystem.name == name)
        #expect(ecosystem.release == release)
    }

    @Test func roundTripsItsText() {
        for text in ["Debian:12", "Ubuntu:22.04:LTS", "crates.io"] {
            #expect(Ecosystem(text).description == text)
        }
    }
}

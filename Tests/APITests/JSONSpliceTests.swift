@testable import API
import Foundation
import Testing

/// Top-level members replaced in stored documents without decoding them: the result parses to the
/// document with those members changed and nothing else.
struct JSONSpliceTests {
    func object(_ text: String?) throws -> NSDictionary {
        let present = try #require(text)
        return try #require(try JSONSerialization.jsonObject(with: Data(present.utf8)) as? NSDictionary)
    }

    @Test func replacesOnlyTopLevelMembers() throws {
        let document = #"""
            {"a": {"status": "NESTED", "list": [1, {"status": "x"}]}, "note": "a \"status\": quoted, with } and ]",
             "status" : "ACTIVE", "lastObservedAt": 1790000000.5, "z": [true, null, -1.5e3]}
            """#
        let spliced = JSONSplice.replacing(["status": #""SUPPRESSED""#, "lastObservedAt": "1790000100"], in: document)
        let expected = try object(document).mutableCopy() as! NSMutableDictionary
        expected["status"] = "SUPPRESSED"
        expected["lastObservedAt"] = 1_790_000_100
        #expect(try object(spliced) == expected)
    }

    @Test func addsAbsentMembers() throws {
        #expect(try object(JSONSplice.replacing(["status": #""CLOSED""#], in: #"{"a": 1}"#)) == ["a": 1, "status": "CLOSED"] as NSDictionary)
        #expect(try object(JSONSplice.replacing(["status": #""CLOSED""#], in: "{ }")) == ["status": "CLOSED"] as NSDictionary)
    }

    @Test func refusesWhatIsNotAnObject() {
        for text in ["", "[1, 2]", #"{"a": 1"#, #"{"a" 1}"#, #"{"a": "unterminated}"#, #"{"a": 1} trailing"#, #"{"a": }"#] {
            #expect(JSONSplice.replacing(["status": "1"], in: text) == nil, "\(text)")
        }
    }
}

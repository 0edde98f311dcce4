import Foundation

/// Reads a JSON file for a cataloger; problems are recorded against the file.
func jsonObject(_ fs: FileSystem, _ path: String, into inventory: inout Inventory) -> Any? {
    do {
        guard let data = try fs.read(path) else { return nil }
        guard let json = try? JSONSerialization.jsonObject(with: data) else {
            inventory.problems.append("\(path): not valid JSON")
            return nil
        }
        return json
    } catch {
        inventory.problems.append("\(error)")
        return nil
    }
}

/// A value kept out of line: one word where it is stored. For a rarely present field of a value
/// that thousands of resources hold (a failure's retry), whose inline bytes would cost each of them.
enum Indirect<Value: Sendable & Equatable>: Sendable, Equatable {
    indirect case value(Value)

    /// The value.
    var value: Value {
        switch self {
        case .value(let value): value
        }
    }
}

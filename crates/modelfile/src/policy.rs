//! Classification of pickle imports (`module`, `name`) into malicious / clean / unknown.
//!
//! The denylist covers *classes* of gadgets rather than single advisories: process and code
//! execution, attribute-access primitives that reach arbitrary objects, importers, nested
//! deserializers, file/network I/O, debuggers and profilers that `exec` a string, and the
//! private helpers of stdlib and ML packages that shell out (the picklescan GHSA bypass
//! family). A dotted name is judged by every path segment, so a re-exported module
//! (`torch` + `os.system`) or a dunder walk (`X.__init__.__globals__`) is caught even when the
//! exact pair is new. The allowlist holds data-only constructors that ordinary ML pickles
//! need; anything in neither list is `Unknown`, which the caller reports as suspicious.

/// Policy decision for one imported global.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Known dangerous; the string says why.
    Deny(&'static str),
    /// Known data-only constructor.
    Allow,
    /// Not on either list.
    Unknown,
}

/// Modules that are dangerous as a whole (any attribute, any submodule).
const DENY_MODULES: &[(&str, &str)] = &[
    ("os", "os access / command execution"),
    ("posix", "command execution"),
    ("nt", "command execution"),
    ("_posixsubprocess", "process spawning"),
    ("subprocess", "process spawning"),
    ("commands", "command execution"),
    ("popen2", "command execution"),
    ("pty", "process spawning"),
    ("platform", "runs external commands"),
    ("runpy", "code execution"),
    ("code", "interactive code execution"),
    ("codeop", "code compilation"),
    ("ctypes", "native code loading"),
    ("_ctypes", "native code loading"),
    ("cffi", "native code loading"),
    ("importlib", "arbitrary import"),
    ("imp", "arbitrary import"),
    ("zipimport", "arbitrary import"),
    ("pkgutil", "arbitrary import / resolve_name"),
    ("pydoc", "arbitrary import / pager command"),
    ("webbrowser", "launches a browser"),
    ("antigravity", "launches a browser"),
    ("socket", "network access"),
    ("_socket", "network access"),
    ("ssl", "network access"),
    ("_ssl", "network access"),
    ("socketserver", "network access"),
    ("SocketServer", "network access"),
    ("http", "network access"),
    ("httplib", "network access"),
    ("urllib", "network access"),
    ("urllib2", "network access"),
    ("urllib3", "network access"),
    ("requests", "network access"),
    ("httpx", "network access"),
    ("aiohttp", "network access"),
    ("ftplib", "network access"),
    ("smtplib", "network access"),
    ("telnetlib", "network access"),
    ("poplib", "network access"),
    ("imaplib", "network access / command execution"),
    ("nntplib", "network access"),
    ("xmlrpc", "network access"),
    ("xmlrpclib", "network access"),
    ("paramiko", "network access"),
    ("asyncio", "process spawning / network access"),
    ("multiprocessing", "process spawning"),
    ("concurrent", "process spawning"),
    ("threading", "runs callables in threads"),
    ("_thread", "runs callables in threads"),
    ("thread", "runs callables in threads"),
    ("signal", "signal handlers"),
    ("shutil", "file system modification"),
    ("tempfile", "file creation"),
    ("zipfile", "file system access"),
    ("tarfile", "file system access"),
    ("fileinput", "file access"),
    ("mmap", "memory-mapped file access"),
    ("fcntl", "file descriptor control"),
    ("uuid", "private helpers run external commands"),
    ("pip", "package installation"),
    ("ensurepip", "package installation"),
    ("setuptools", "package build / code execution"),
    ("distutils", "package build / file write"),
    ("pkg_resources", "package loading"),
    ("venv", "environment creation"),
    ("sys", "interpreter state manipulation"),
    ("gc", "access to every live object"),
    ("inspect", "frame and attribute introspection"),
    ("marshal", "code object deserialization"),
    ("pickle", "nested pickle deserialization"),
    ("_pickle", "nested pickle deserialization"),
    ("cPickle", "nested pickle deserialization"),
    ("pickletools", "pickle internals"),
    ("shelve", "nested pickle deserialization"),
    ("dill", "arbitrary code deserialization"),
    ("cloudpickle", "arbitrary code deserialization"),
    ("jsonpickle", "arbitrary object deserialization"),
    ("pdb", "debugger executes code"),
    ("bdb", "debugger executes code"),
    ("trace", "tracer executes code"),
    ("timeit", "executes code strings"),
    ("cProfile", "profiler executes code strings"),
    ("profile", "profiler executes code strings"),
    ("_lsprof", "profiler executes code strings"),
    ("doctest", "executes code strings"),
    ("idlelib", "IDE helpers execute code"),
    ("lib2to3", "grammar loader unpickles"),
    ("test", "CPython test helpers spawn interpreters"),
    ("unittest", "test runner / mock calls anything"),
    ("_osx_support", "runs external commands"),
    ("_aix_support", "runs external commands"),
    ("_pyrepl", "pager runs external commands"),
    ("IPython", "code execution"),
    ("numexpr", "expression evaluation"),
    ("torch.hub", "remote code download"),
    ("torch.utils.collect_env", "runs external commands"),
    ("torch.utils.bottleneck", "profiler executes code"),
    ("torch.utils.cpp_extension", "native code build and load"),
    (
        "torch.utils._config_module",
        "nested pickle deserialization",
    ),
    ("torch.utils.data.datapipes", "nested deserialization"),
    ("torch._dynamo", "guard evaluation executes code"),
    ("torch._inductor", "compiles and runs code"),
    (
        "torch.fx.experimental.symbolic_shapes",
        "guard evaluation executes code",
    ),
    ("torch.package", "executes packaged code"),
    ("torch.distributed", "remote procedure calls"),
    ("torch.testing._internal", "test helpers spawn processes"),
    ("torch.jit", "TorchScript loading / code execution"),
    ("torch.serialization", "nested torch.load"),
    ("numpy.f2py", "evaluates strings"),
    ("numpy.testing", "runstring executes code"),
    ("numpy.distutils", "build helpers run commands"),
    ("numpy.ctypeslib", "native code loading"),
    ("numpy.lib.npyio", "nested numpy.load with pickles"),
    ("numpy.lib.format", "nested array pickle loading"),
    ("pandas.io", "file / network / pickle loading"),
    ("pandas.core.computation", "expression evaluation"),
    ("sklearn.utils._testing", "test helpers run code"),
    ("sklearn.datasets", "network downloads / file loading"),
    ("sympy.parsing", "expression evaluation"),
    ("yaml", "unsafe YAML loading"),
    ("keras.models", "nested model loading"),
    ("tensorflow.io", "file system access"),
    ("joblib.memory", "nested loading"),
];

/// Exact dotted names (module + "." + name) that are dangerous inside otherwise harmless modules.
const DENY_NAMES: &[(&str, &str)] = &[
    ("builtins.eval", "code execution"),
    ("builtins.exec", "code execution"),
    ("builtins.execfile", "code execution"),
    ("builtins.compile", "code compilation"),
    ("builtins.getattr", "arbitrary attribute access"),
    ("builtins.setattr", "arbitrary attribute write"),
    ("builtins.delattr", "arbitrary attribute delete"),
    ("builtins.__import__", "arbitrary import"),
    ("builtins.open", "file access"),
    ("builtins.file", "file access"),
    ("builtins.apply", "calls arbitrary callables"),
    ("builtins.breakpoint", "debugger"),
    ("builtins.input", "interactive input"),
    ("builtins.raw_input", "interactive input"),
    ("builtins.globals", "namespace access"),
    ("builtins.locals", "namespace access"),
    ("builtins.vars", "namespace access"),
    ("builtins.reload", "arbitrary import"),
    ("builtins.help", "pager / arbitrary import"),
    ("builtins.exit", "interpreter exit"),
    ("builtins.quit", "interpreter exit"),
    ("builtins.__build_class__", "class construction from code"),
    ("builtins.memoryview", "raw memory access"),
    ("operator.attrgetter", "arbitrary attribute access"),
    ("operator.methodcaller", "arbitrary method call"),
    (
        "operator.itemgetter",
        "arbitrary item access in call chains",
    ),
    ("operator.call", "calls arbitrary callables"),
    ("operator.setitem", "arbitrary item write"),
    ("operator.delitem", "arbitrary item delete"),
    ("types.CodeType", "code object construction"),
    ("types.FunctionType", "function construction from code"),
    ("types.LambdaType", "function construction from code"),
    ("types.MethodType", "method binding"),
    ("types.BuiltinFunctionType", "builtin function access"),
    ("io.open", "file access"),
    ("io.open_code", "file access"),
    ("io.FileIO", "file access"),
    ("io.TextIOWrapper", "file access"),
    ("io.BufferedReader", "file access"),
    ("io.BufferedWriter", "file access"),
    ("logging.FileHandler", "file creation"),
    ("logging.handlers", "file / network logging"),
    (
        "logging.config",
        "configuration instantiates arbitrary objects",
    ),
    ("copyreg.add_extension", "extension registry tampering"),
    ("copyreg.remove_extension", "extension registry tampering"),
    ("copyreg.pickle", "reducer registry tampering"),
    ("copyreg.dispatch_table", "reducer registry tampering"),
    ("codecs.open", "file access"),
    ("torch.load", "nested torch.load"),
    ("torch.classes.load_library", "native code loading"),
    ("torch.ops.load_library", "native code loading"),
    ("torch.storage._load_from_bytes", "nested torch.load"),
    ("numpy.load", "nested numpy.load with pickles"),
    ("numpy.fromfile", "file access"),
    ("numpy.memmap", "file creation"),
    ("numpy.save", "file write"),
    ("numpy.savez", "file write"),
    ("numpy.savetxt", "file write"),
    ("numpy.loadtxt", "file access"),
    ("numpy.genfromtxt", "file access"),
    ("pandas.read_pickle", "nested pickle deserialization"),
    ("pandas.eval", "expression evaluation"),
    ("joblib.load", "nested joblib deserialization"),
    ("joblib.numpy_pickle.load", "nested joblib deserialization"),
    ("sympy.sympify", "expression evaluation"),
    ("sympy.core.sympify.sympify", "expression evaluation"),
    ("jinja2.Template", "template rendering"),
    ("functools.reduce", "calls arbitrary callables"),
    ("collections.namedtuple", "class construction"),
];

/// Last name segments that betray command/code execution wherever they live. Used only for
/// imports on neither list, so a new gadget with a telling name is still caught.
const DANGEROUS_LEAVES: &[&str] = &[
    "system",
    "popen",
    "Popen",
    "popen2",
    "popen3",
    "popen4",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "posix_spawn",
    "posix_spawnp",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "forkpty",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "run_path",
    "run_module",
    "_run_code",
    "_run_module_code",
    "__import__",
    "import_module",
    "runcode",
    "runsource",
    "runctx",
    "runcall",
    "runeval",
    "runstring",
    "execfile",
    "exec_module",
    "urlopen",
    "urlretrieve",
    "load_library",
    "LoadLibrary",
    "CDLL",
    "PyDLL",
    "WinDLL",
    "dlopen",
    "_get_command_stdout",
    "_read_output",
    "_read_cmd_output",
    "pipe_pager",
    "pipepager",
    "tempfile_pager",
    "tempfilepager",
    "startfile",
    "eval",
    "exec",
    "breakpoint",
    "set_trace",
    "interact",
    "debug_script",
    "evaluate_guards_expression",
    "execWrapper",
    "compile_file",
    "load_config",
    "rmtree",
    "write_file",
    "write_text",
    "write_bytes",
    "unlink",
    "rmdir",
    "removedirs",
    "from_pretrained",
    "safe_load_all",
    "unsafe_load",
    "load_module",
    "resolve_name",
    "locate",
    "getattr",
    "attrgetter",
    "methodcaller",
    "get_server_certificate",
    "create_connection",
];

/// Module names that must never appear as an intermediate segment of a dotted name: reaching
/// them through another module's attribute (`torch` + `os.system`) is a re-export bypass.
const DANGEROUS_SEGMENTS: &[&str] = &[
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "builtins",
    "__builtin__",
    "__builtins__",
    "pty",
    "socket",
    "shutil",
    "importlib",
    "ctypes",
    "runpy",
    "pickle",
    "_pickle",
    "marshal",
    "code",
    "webbrowser",
    "requests",
    "urllib",
];

/// Exact dotted names known to be data-only constructors.
const ALLOW_NAMES: &[&str] = &[
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.complex",
    "builtins.slice",
    "builtins.range",
    "builtins.list",
    "builtins.dict",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.str",
    "builtins.bool",
    "builtins.object",
    "builtins.long",
    "builtins.unicode",
    "builtins.Ellipsis",
    "builtins.NotImplemented",
    "copyreg._reconstructor",
    "copyreg.__newobj__",
    "copyreg.__newobj_ex__",
    "codecs.encode",
    "codecs.decode",
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.Counter",
    "collections.deque",
    "collections.ChainMap",
    "collections.UserDict",
    "collections.UserList",
    "collections.UserString",
    "decimal.Decimal",
    "fractions.Fraction",
    "uuid.UUID",
    "uuid.SafeUUID",
    "re._compile",
    "re.compile",
    "re.RegexFlag",
    "array.array",
    "array._array_reconstructor",
    "pathlib.Path",
    "pathlib.PurePath",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "types.SimpleNamespace",
    "functools.partial",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.matrix",
    "numpy.core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.multiarray._reconstruct",
    "numpy._core.multiarray.scalar",
    "numpy._core.numeric._frombuffer",
    "numpy.ma.core._mareconstruct",
    "numpy.ma.core.MaskedArray",
    "torch.Size",
    "torch.device",
    "torch.dtype",
    "torch.Tensor",
    "torch._tensor._rebuild_from_type_v2",
    "torch.serialization._get_layout",
    "torch.nn.parameter.Parameter",
    "torch.nn.parameter.Buffer",
    "torch.nn.parameter.UninitializedParameter",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
    "torch.storage._StorageBase",
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "joblib.numpy_pickle.NDArrayWrapper",
    "joblib.numpy_pickle.ZNDArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    "xgboost.core.Booster",
    "lightgbm.basic.Booster",
];

/// Module prefixes whose members are data-only (datetime arithmetic, ML estimators...).
const ALLOW_MODULES: &[&str] = &[
    "datetime",
    "decimal",
    "ipaddress",
    "zoneinfo",
    "pytz",
    "dateutil.tz",
    "numpy.random._pickle",
    "numpy.random._mt19937",
    "numpy.random._pcg64",
    "numpy.random._philox",
    "numpy.random._sfc64",
    "numpy.random.bit_generator",
    "numpy.random.mtrand",
    "numpy.dtypes",
    "torch._utils",
    "torch.nn.modules",
    "torch.optim",
    "torch.jit._pickle",
    "sklearn",
    "scipy.sparse",
    "pandas.core",
    "pandas._libs",
    "xgboost.sklearn",
    "lightgbm.sklearn",
];

/// numpy scalar types are pickled by class name (`numpy.float64`).
const NUMPY_SCALARS: &[&str] = &[
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "longdouble",
    "complex64",
    "complex128",
    "clongdouble",
    "str_",
    "bytes_",
    "void",
    "datetime64",
    "timedelta64",
    "intc",
    "uintc",
    "int_",
    "uint",
    "longlong",
    "ulonglong",
    "half",
    "single",
    "double",
    "csingle",
    "cdouble",
    "object_",
    "generic",
];

/// torch dtype/layout/memory-format singletons pickled by name (`torch.float32`).
const TORCH_SINGLETONS: &[&str] = &[
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "complex32",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e4m3fn",
    "float8_e5m2",
    "float8_e4m3fnuz",
    "float8_e5m2fnuz",
    "strided",
    "sparse_coo",
    "sparse_csr",
    "sparse_csc",
    "sparse_bsr",
    "sparse_bsc",
    "_mkldnn",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "per_tensor_affine",
    "per_channel_affine",
    "per_tensor_symmetric",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

/// Maps Python 2 / private aliases to the module name the lists use.
fn canonical_module(module: &str) -> &str {
    match module {
        "__builtin__" | "__builtins__" => "builtins",
        "_operator" => "operator",
        "copy_reg" => "copyreg",
        "_codecs" => "codecs",
        "_io" => "io",
        "_collections" => "collections",
        "_functools" => "functools",
        "numpy.core._multiarray_umath" => "numpy.core.multiarray",
        "numpy._core._multiarray_umath" => "numpy._core.multiarray",
        other => other,
    }
}

fn under(module: &str, prefix: &str) -> bool {
    module == prefix
        || (module.len() > prefix.len()
            && module.starts_with(prefix)
            && module.as_bytes().get(prefix.len()) == Some(&b'.'))
}

fn is_dunder(seg: &str) -> bool {
    seg.len() > 4 && seg.starts_with("__") && seg.ends_with("__")
}

/// Dunder segments that legitimately occur in pickled names.
const SAFE_DUNDERS: &[&str] = &["__main__", "__newobj__", "__newobj_ex__", "__torch__"];

/// Classifies one imported global.
pub fn classify(module: &str, name: &str) -> Class {
    let module = canonical_module(module.trim());
    let name = name.trim();
    if module.is_empty() || name.is_empty() {
        return Class::Unknown;
    }
    let full = format!("{module}.{name}");

    // Dunder traversal reaches function globals, class hierarchies and builtins from any
    // harmless starting object; no data-only pickle needs it.
    if name
        .split('.')
        .chain(module.split('.').skip(1))
        .any(|seg| is_dunder(seg) && !SAFE_DUNDERS.contains(&seg))
        && full != "builtins.__import__"
    {
        return Class::Deny("dunder attribute traversal");
    }
    // A dotted attribute path through a dangerous module is a re-export bypass.
    let name_segments: Vec<&str> = name.split('.').collect();
    if name_segments.len() > 1 {
        if let Some((_, inner)) = name_segments.split_last() {
            if inner.iter().any(|s| DANGEROUS_SEGMENTS.contains(s)) {
                return Class::Deny("attribute path through a dangerous module");
            }
        }
    }

    if is_allowed(module, name, &full) {
        return Class::Allow;
    }
    for (deny, why) in DENY_NAMES {
        if full == *deny || full.starts_with(&format!("{deny}.")) {
            return Class::Deny(why);
        }
    }
    for (deny, why) in DENY_MODULES {
        if under(module, deny) || full == *deny {
            return Class::Deny(why);
        }
    }
    if module == "builtins" {
        // Any other builtin is unusual in data; callers treat it as unknown.
        return Class::Unknown;
    }
    if let Some(leaf) = name_segments.last() {
        if DANGEROUS_LEAVES.contains(leaf) {
            return Class::Deny("dangerous function name");
        }
    }
    Class::Unknown
}

fn is_allowed(module: &str, name: &str, full: &str) -> bool {
    if ALLOW_NAMES.contains(&full) {
        return true;
    }
    if module == "numpy" && NUMPY_SCALARS.contains(&name) {
        return true;
    }
    if module == "torch" {
        if TORCH_SINGLETONS.contains(&name) {
            return true;
        }
        if name.ends_with("Storage") && !name.contains('.') {
            return true;
        }
    }
    if module == "torch.cuda" && name.ends_with("Storage") && !name.contains('.') {
        return true;
    }
    // The most specific prefix wins: `torch.jit._pickle` is allowed inside denied `torch.jit`,
    // `sklearn.datasets` is denied inside allowed `sklearn`.
    let allow_len = ALLOW_MODULES
        .iter()
        .filter(|m| under(module, m))
        .map(|m| m.len())
        .max();
    let deny_len = DENY_MODULES
        .iter()
        .filter(|(d, _)| under(module, d))
        .map(|(d, _)| d.len())
        .max();
    match (allow_len, deny_len) {
        (Some(a), Some(d)) => a > d,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(m: &str, n: &str) -> bool {
        matches!(classify(m, n), Class::Deny(_))
    }

    #[test]
    fn classic_rce_globals_are_denied() {
        for (m, n) in [
            ("posix", "system"),
            ("nt", "system"),
            ("os", "popen"),
            ("subprocess", "Popen"),
            ("__builtin__", "eval"),
            ("builtins", "exec"),
            ("builtins", "getattr"),
            ("_operator", "attrgetter"),
            ("runpy", "_run_code"),
            ("pty", "spawn"),
            ("webbrowser", "open"),
            ("socket", "create_connection"),
            ("urllib.request", "urlopen"),
            ("requests.api", "get"),
            ("torch.hub", "load"),
            ("torch.serialization", "load"),
            ("numpy.testing._private.utils", "runstring"),
            ("code", "InteractiveInterpreter.runcode"),
            ("profile", "Profile.runctx"),
            ("uuid", "_get_command_stdout"),
            ("_io", "FileIO"),
            ("logging", "FileHandler"),
            ("types", "CodeType"),
        ] {
            assert!(deny(m, n), "{m}.{n} should be denied");
        }
    }

    #[test]
    fn bypass_shapes_are_denied() {
        assert!(deny("torch", "os.system"));
        assert!(deny("collections", "OrderedDict.__init__.__globals__"));
        assert_eq!(
            classify("somepkg.helpers", "run_and_system"),
            Class::Unknown
        );
        assert!(deny("newlib.shell", "check_output"));
    }

    #[test]
    fn data_constructors_are_allowed() {
        for (m, n) in [
            ("collections", "OrderedDict"),
            ("__builtin__", "set"),
            ("copy_reg", "_reconstructor"),
            ("_codecs", "encode"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy", "dtype"),
            ("numpy", "float64"),
            ("torch._utils", "_rebuild_tensor_v2"),
            ("torch", "FloatStorage"),
            ("torch", "bfloat16"),
            ("datetime", "datetime"),
            ("decimal", "Decimal"),
            ("sklearn.linear_model._logistic", "LogisticRegression"),
            ("uuid", "UUID"),
        ] {
            assert_eq!(classify(m, n), Class::Allow, "{m}.{n}");
        }
    }

    #[test]
    fn unknown_stays_unknown() {
        assert_eq!(classify("__main__", "MyModel"), Class::Unknown);
        assert_eq!(classify("mylib.layers", "Block"), Class::Unknown);
        assert_eq!(classify("builtins", "print"), Class::Unknown);
    }
}

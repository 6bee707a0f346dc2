using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>The models backed by native libraries: LIBSVM's SVM and XGBoost.</summary>
public sealed class NativeModels : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        new ModelDescriptor("svm", "classic",
            "Support vector machine (LIBSVM C-SVC, one-vs-one; RBF kernel by default)",
            typeof(SvmOptions),
            options => new Pipeline("svm", options, [], new SvmClassifier((SvmOptions)options)),
            (options, reader) => Pipeline.Load("svm", options, reader, r => SvmClassifier.Load((SvmOptions)options, r))),
        new ModelDescriptor("xgboost", "classic",
            "Gradient-boosted trees by the XGBoost library (hist, multi:softprob)",
            typeof(XGBoostOptions),
            options => new Pipeline("xgboost", options, [], new XGBoostClassifier((XGBoostOptions)options)),
            (options, reader) => Pipeline.Load("xgboost", options, reader, r => XGBoostClassifier.Load((XGBoostOptions)options, r))),
    ];
}

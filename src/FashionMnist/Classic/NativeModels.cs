using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>The models backed by native libraries: LIBSVM's SVM and XGBoost.</summary>
public sealed class NativeModels : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        ClassicModel.Descriptor<SvmOptions>("svm",
            "Support vector machine (LIBSVM C-SVC, one-vs-one; RBF kernel by default)",
            options => new SvmClassifier(options), SvmClassifier.Load, new Dictionary<string, string> { ["cache-size"] = "50" }),
        ClassicModel.Descriptor<XGBoostOptions>("xgboost",
            "Gradient-boosted trees by the XGBoost library (hist, multi:softprob)",
            options => new XGBoostClassifier(options), XGBoostClassifier.Load, new Dictionary<string, string> { ["n-estimators"] = "5" }),
    ];
}

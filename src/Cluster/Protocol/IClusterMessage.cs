namespace BootActors.Cluster.Protocol;

/// <summary>
/// Marks every message of the exploration protocol; config/cluster.hocon binds it to
/// <see cref="Serialization.ClusterProtocolSerializer"/>, so none of them travels as Akka's default JSON.
/// </summary>
public interface IClusterMessage;

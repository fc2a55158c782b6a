namespace BootActors.Actors;
